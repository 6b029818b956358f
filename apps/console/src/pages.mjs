// The console's pages, shared by its router (src/router.tsx) and its build (dist/pages.json, which
// connector-api reads to answer 404 for any other path). Paths are below /console.
export const PAGES = [
  '/',
  '/sign-in',
  '/connections/new',
  '/connections/:id',
  '/connections/:id/checks/:checkId',
  '/connections/:id/history',
  '/connections/:id/evidence',
  '/connections/:id/exports',
  '/connections/:id/operate',
  '/roster',
];
