export { envSchema, SECRET_VARIABLES, toConfig, type Config, type Env } from './schema';
export { loadConfig, loadConfigOrReport, resolveSecretFiles, readSecretFile, redactUrl, ConfigError, type ReadFile } from './load';
export { configTable } from './table';
export { gatewayTokensSchema, adapterCredentialSchema, parseGatewayTokens, type GatewayTokens, type AdapterCredential } from './gateway-tokens';
export { parsePartners, PARTNER_ROUTES, PARTNER_ID, type Partner, type PartnerRoute } from './partners';
