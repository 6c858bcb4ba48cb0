export { HealthServer, CheckFailure, readiness, splitHostPort, type CheckResult, type ReadinessCheck, type ReadinessReport, type HealthServerOptions } from './server';
export { bridgeChecks, odooChecks, type BridgeCheckDeps, type OdooCheckDeps } from './checks';
export { diagnoseOdooError, type Diagnosis, type OdooTargetInfo } from './diagnose';
export { doctorChecks, formatDoctor, MIN_ADDON_VERSION, type DoctorDeps } from './doctor';
export { checkTlsFiles, type TlsFiles } from './tls';
