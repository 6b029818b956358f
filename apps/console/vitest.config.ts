import { packageProject } from '../../vitest.shared.js';

// The browser journey starts the whole product as processes and drives real Chromium: give it time
// (on a 2-core machine at load average 40-57 it took 490 s and more, paging and Compare included).
export default packageProject('console', { services: true, timeoutMs: 720_000 });
