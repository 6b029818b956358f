/**
 * What the console reads from the API's answers. The OpenAPI document types every request (paths,
 * parameters, bodies); the routes declare no response schemas yet, so the fields read here are named
 * once, in this file.
 */
export interface SessionView {
  tenant: { id: string; name: string };
  csrfToken: string;
  expiresAt: string;
}
export interface SyncRun {
  id: number;
  status: string;
  trigger?: string;
  startedAt?: string | null;
  finishedAt?: string | null;
  createdAt?: string | null;
  durationMs?: number | null;
  steps?: Record<string, { status: string; error?: string | null; reason?: string | null }>;
  problems?: { step?: string; code?: string; message?: string; action?: string }[];
  missingPermissions?: { action: string; step?: string }[];
  awsCallsTotal?: number;
}
export interface Connection {
  id: string;
  name: string;
  status: string;
  externalId: string;
  roleArn: string | null;
  awsAccountId: string | null;
  region: string | null;
  syncIntervalMinutes: number;
  auditWindowDays: number;
  warnings?: { code: string; message?: string; details?: Record<string, unknown> }[];
  lastConnectError?: { code: string; message: string } | null;
  lastSyncRun?: SyncRun | null;
}
export interface SetupKit {
  trustPolicy: unknown;
  permissionsPolicy: unknown;
  cloudFormationTemplate?: unknown;
  [k: string]: unknown;
}
export interface CheckRun {
  id: number;
  syncRunId: number;
  evaluatedAt: string;
  judgedAt: string | null;
  rosterAsOf: string | null;
  partial: boolean;
  gaps: {
    missingPermissions: { action: string; step: string }[];
    failedSteps: { step: string; reason: string }[];
  };
  results?: Record<string, string>;
}
export interface Check {
  id: string;
  title: string;
  description: string;
  controls: unknown;
  status: string | null;
  counts: Record<string, number>;
  howToFix: unknown;
}
export interface Finding {
  id: number;
  checkId: string;
  resourceType: string;
  resourceId: string;
  resourceName: string;
  status: string;
  reason: string;
  evidence: unknown;
}
