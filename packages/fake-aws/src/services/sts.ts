import { AwsError, validationMessage } from '../errors.js';
import { newRoleSession } from '../identity.js';
import { evaluatePolicies } from '../policy/evaluate.js';
import type { CallContext, QueryOperation } from './context.js';

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;

function accessDenied(ctx: CallContext, roleArn: string): AwsError {
  return new AwsError(
    'AccessDenied',
    `User: ${ctx.identity.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
    403,
  );
}

function assumeRole(ctx: CallContext, p: URLSearchParams) {
  const roleArn = p.get('RoleArn');
  const sessionName = p.get('RoleSessionName');
  if (!roleArn)
    throw new AwsError('ValidationError', validationMessage('roleArn', null, 'Member must not be null'));
  if (!sessionName) {
    throw new AwsError(
      'ValidationError',
      validationMessage('roleSessionName', null, 'Member must not be null'),
    );
  }
  if (roleArn.length < 20) {
    throw new AwsError(
      'ValidationError',
      validationMessage('roleArn', roleArn, 'Member must have length greater than or equal to 20'),
    );
  }
  if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
    throw new AwsError(
      'ValidationError',
      validationMessage(
        'roleSessionName',
        sessionName,
        'Member must satisfy regular expression pattern: [\\w+=,.@-]*',
      ),
    );
  }
  const externalId = p.get('ExternalId') ?? undefined;
  if (externalId !== undefined && !/^[\w+=,.@:/-]{2,1224}$/.test(externalId)) {
    throw new AwsError(
      'ValidationError',
      validationMessage(
        'externalId',
        externalId,
        'Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*',
      ),
    );
  }
  const m = ROLE_ARN.exec(roleArn);
  if (!m) throw new AwsError('ValidationError', `${roleArn} is invalid`);
  const [, accountId, roleName] = m;
  const world = ctx.world;
  const role = accountId === world.accountId ? world.roles.get(roleName!) : undefined;
  // AWS answers the same AccessDenied for a role that does not exist and one whose trust policy refuses.
  if (!role || `arn:aws:iam::${accountId}:role${role.path}${role.roleName}` !== roleArn)
    throw accessDenied(ctx, roleArn);
  const trust = evaluatePolicies([role.trustPolicy], {
    action: 'sts:AssumeRole',
    resource: roleArn,
    principal: {
      arn: ctx.identity.arn,
      accountId: ctx.identity.accountId,
      ...(ctx.identity.kind === 'role-session' ? { roleArn: ctx.identity.roleArn } : {}),
    },
    keys: {
      'sts:ExternalId': externalId,
      'sts:RoleSessionName': sessionName,
      'aws:PrincipalAccount': ctx.identity.accountId,
      'aws:PrincipalArn': ctx.identity.kind === 'role-session' ? ctx.identity.roleArn : ctx.identity.arn,
    },
  });
  if (trust !== 'allow') throw accessDenied(ctx, roleArn);

  const durationRaw = p.get('DurationSeconds');
  const duration = durationRaw === null ? 3600 : Number(durationRaw);
  if (!Number.isInteger(duration) || duration < 900 || duration > 43200) {
    throw new AwsError(
      'ValidationError',
      validationMessage('durationSeconds', durationRaw, 'Member must have value between 900 and 43200'),
    );
  }
  if (duration > role.maxSessionDuration) {
    throw new AwsError(
      'ValidationError',
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );
  }
  const session = newRoleSession(
    world.accountId,
    role.roleName,
    role.roleId,
    sessionName,
    ctx.now + duration * 1000,
  );
  ctx.state.sessions.set(session.accessKeyId, session);
  return {
    Credentials: {
      AccessKeyId: session.accessKeyId,
      SecretAccessKey: session.secretAccessKey,
      SessionToken: session.sessionToken,
      Expiration: new Date(session.expiresAt),
    },
    AssumedRoleUser: {
      AssumedRoleId: `${role.roleId}:${sessionName}`,
      Arn: `arn:aws:sts::${world.accountId}:assumed-role/${role.roleName}/${sessionName}`,
    },
    PackedPolicySize: 0,
  };
}

export const stsOperations: Record<string, QueryOperation> = {
  AssumeRole: {
    action: 'sts:AssumeRole',
    resource: (_ctx, p) => p.get('RoleArn') ?? '*',
    run: assumeRole,
  },
  GetCallerIdentity: {
    action: null,
    run: (ctx) => ({ UserId: ctx.identity.userId, Account: ctx.identity.accountId, Arn: ctx.identity.arn }),
  },
};
