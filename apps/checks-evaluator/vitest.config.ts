import { packageProject } from '../../vitest.shared.js';

export default packageProject('checks-evaluator', { services: true });
