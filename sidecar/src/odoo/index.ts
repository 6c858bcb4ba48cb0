export { OdooClient, type OdooClientOptions, type CallOptions, type OdooVersion } from './client';
export { OdooError, OdooAuthError, OdooAccessError, OdooUserError, OdooTransportError, OdooServerError, fromRpcError, odooErrorFor } from './errors';
export { json2Params, json2Request, jsonRpcRequest, parseJson2Answer, parseJsonRpcAnswer, protocolForVersion, type OdooProtocol, type ProtocolSetting } from './protocol';
export { keyExpiryWarning, type KeyStatus } from './key';
