import { packageProject } from '../../vitest.shared.js';

// The browser journey starts the whole product as processes and drives real Chromium: give it time.
export default packageProject('console', { services: true, timeoutMs: 480_000 });
