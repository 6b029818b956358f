import { packageProject } from '../../vitest.shared.js';

export default packageProject('evidence-store', { services: true });
