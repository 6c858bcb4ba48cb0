export { OdooClient, type OdooClientOptions, type CallOptions } from './client';
export { OdooError, OdooAuthError, OdooAccessError, OdooUserError, OdooTransportError, OdooServerError, fromRpcError } from './errors';
