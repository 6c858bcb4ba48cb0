export { HealthServer, readiness, splitHostPort, type ReadinessCheck, type ReadinessReport, type HealthServerOptions } from './server';
