import { packageProject } from '../../vitest.shared.js';

// Cross-process tests start real processes: give them time, and run their files one after another.
export default packageProject('demo', { services: true, timeoutMs: 240_000 });
