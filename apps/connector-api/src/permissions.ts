/**
 * The permission catalog lives in `packages/aws-clients` (the workers' `ctx.call` reads it too); the
 * API's modules import it from here.
 */
export {
  assessPermissions,
  CODECOMMIT_ACTIONS,
  IAM_ACTIONS,
  type MissingPermission,
  PERMISSION_ACTIONS,
  PERMISSION_BY_ACTION,
  PERMISSIONS,
  type PermissionAction,
  type PermissionAssessment,
  type PermissionSpec,
  type ProbeOutcome,
} from '@codecommit-evidence/aws-clients';
