export { envSchema, odooEnvSchema, SECRET_VARIABLES, toConfig, toOdooConfig, type Config, type Env, type OdooEnv, type OdooOnlyConfig } from './schema';
export { loadConfig, loadOdooConfig, loadConfigOrReport, reportConfigError, resolveSecretFiles, readSecretFile, redactUrl, ConfigError, type ReadFile } from './load';
export { configTable } from './table';
export { gatewayTokensSchema, adapterCredentialSchema, parseGatewayTokens, type GatewayTokens, type AdapterCredential } from './gateway-tokens';
export { parsePartners, PARTNER_ROUTES, PARTNER_ID, type Partner, type PartnerRoute } from './partners';
