import { packageProject } from '../../vitest.shared.js';

export default packageProject('iam-sync', { services: true });
