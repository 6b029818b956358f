import { packageProject } from '../../vitest.shared.js';

export default packageProject('evidence-views', { services: true });
