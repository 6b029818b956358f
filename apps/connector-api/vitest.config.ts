import { packageProject } from '../../vitest.shared.js';

export default packageProject('connector-api', { services: true });
