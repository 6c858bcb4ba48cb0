export { HealthServer, CheckFailure, readiness, splitHostPort, type CheckResult, type ReadinessCheck, type ReadinessReport, type HealthServerOptions } from './server';
export { bridgeChecks, type BridgeCheckDeps } from './checks';
export { diagnoseOdooError, type Diagnosis, type OdooTargetInfo } from './diagnose';
