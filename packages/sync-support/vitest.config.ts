import { packageProject } from '../../vitest.shared.js';

export default packageProject('sync-support', { services: true });
