/** The embedded Convex-compatible backend: public surface. */
export { startBackend, type Backend, type BackendOptions } from "./backend.ts";
export { Engine, defaultDataFile, type EngineOptions, type LoadReport } from "./engine.ts";
export { openStoredEnvironment, type StoredEnvironment } from "./env/stored_environment.ts";
export { parseEnvFile, type EnvironmentChange } from "./env/environment.ts";
export type { Durability } from "./storage/persistence.ts";
export { analyzeConvexApp, type AppDescription, type FunctionInfo } from "./analyze.ts";
export type { SchemaInfo, TableSchema } from "./runtime/loader.ts";
export type { FunctionKind } from "./runtime/execution.ts";
export { ManualClock, systemClock, type Clock } from "./scheduler/index.ts";
export { ADMIN_KEY_ENV, checkAdminKeyFormat, generateAdminKey } from "./auth/admin_key.ts";
