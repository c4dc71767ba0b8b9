// The layer rules of src/ (docs: ../shared/STYLE.md, "Arrows point one way"), checked by `npm run lint`.
//
// app → api / activities / workflows / channels → domain → platform; devkit is wiring for dev and tests.
// Rules about what runs use `dependencyTypesNot: ['type-only']`, so `import type` (erased at compile time)
// is allowed where only the runtime graph matters.
//
// dependency-cruiser 18's CLI refuses Node 20 (our engines floor) and cannot load TypeScript 7 (no JS API
// yet), so `npm run lint` runs this file with node: it calls the same engine through its API and parses
// TypeScript with swc (which marks `import type` as type-only). On Node 22+ `npx depcruise src --config
// .dependency-cruiser.cjs` reads the same rules.

const RUNTIME = { dependencyTypesNot: ['type-only'] };

/** @type {import('dependency-cruiser').IConfiguration} */
const config = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A cycle means two modules are one room with two doors; break it by moving the shared part down.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'platform-stays-at-the-bottom',
      severity: 'error',
      comment: 'platform (config, logging, db, Temporal connection, outbound HTTP) knows no business area.',
      from: { path: '^src/platform/' },
      to: { path: '^src/(domain|api|activities|workflows|channels|app|devkit)/' },
    },
    {
      name: 'domain-knows-no-layer-above',
      severity: 'error',
      comment: 'domain holds models, stores and services shared by api and activities; it imports neither.',
      from: { path: '^src/domain/' },
      to: { path: '^src/(api|activities|app|channels|devkit)/' },
    },
    {
      name: 'domain-uses-only-the-workflow-contract',
      severity: 'error',
      comment:
        'Of the workflows, domain may use only definitions.ts (signals, updates, queries, search attributes).',
      from: { path: '^src/domain/' },
      to: { path: '^src/workflows/', pathNot: '^src/workflows/definitions\\.ts$' },
    },
    {
      name: 'channels-below-api-and-activities',
      severity: 'error',
      comment:
        'Connectors and the ingest pipeline are used by api and activities, never the other way round.',
      from: { path: '^src/channels/' },
      to: { path: '^src/(api|activities|app|devkit)/' },
    },
    {
      name: 'channels-use-only-the-workflow-contract',
      severity: 'error',
      from: { path: '^src/channels/' },
      to: { path: '^src/workflows/', pathNot: '^src/workflows/definitions\\.ts$' },
    },
    {
      name: 'workflows-are-deterministic',
      severity: 'error',
      comment:
        'The workflow bundle holds deterministic code only: itself, the pure domain files (models, statuses, rules) and types of activities.',
      from: { path: '^src/workflows/' },
      to: {
        path: '^src/',
        pathNot: [
          '^src/workflows/',
          '^src/activities/',
          '^src/domain/[^/]+/(model|status|[a-z-]+-rules)\\.ts$',
          '^src/domain/money\\.ts$',
        ],
      },
    },
    {
      name: 'workflows-take-only-types-of-activities',
      severity: 'error',
      comment: 'Activities run on the worker; a workflow calls them through proxyActivities<typeof …>.',
      from: { path: '^src/workflows/' },
      to: { path: '^src/activities/', ...RUNTIME },
    },
    {
      name: 'workflows-use-no-node-io',
      severity: 'error',
      comment:
        'No Node APIs, database or HTTP in workflow code (the bundler would reject most of it anyway).',
      from: { path: '^src/workflows/' },
      to: { dependencyTypes: ['core'], ...RUNTIME },
    },
    {
      name: 'workflows-use-no-io-packages',
      severity: 'error',
      from: { path: '^src/workflows/' },
      to: {
        path: 'node_modules/(knex|pg|express|mysql2|nodemailer|pino|@temporalio/(client|worker|activity))/',
      },
    },
    {
      name: 'api-talks-to-workflows-only-through-the-contract',
      severity: 'error',
      comment:
        'api starts and signals workflows through the client and definitions.ts; activities run on the worker.',
      from: { path: '^src/api/' },
      to: { path: '^src/(activities|workflows)/', pathNot: '^src/workflows/definitions\\.ts$' },
    },
    {
      name: 'nothing-above-app-but-app',
      severity: 'error',
      comment: 'app is the entry points and wiring; nothing imports it.',
      from: { path: '^src/', pathNot: '^src/app/' },
      to: { path: '^src/app/' },
    },
    {
      name: 'activities-know-no-http-routes',
      severity: 'error',
      from: { path: '^src/activities/' },
      to: { path: '^src/api/' },
    },
    {
      name: 'production-never-loads-tests',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'devkit-only-from-app',
      severity: 'error',
      comment: 'Embedded PostgreSQL, the Temporal CLI and the sample servers are for dev and tests only.',
      from: { path: '^src/', pathNot: '^src/(app|devkit)/' },
      to: { path: '^src/devkit/' },
    },
    {
      name: 'knex-only-in-stores',
      severity: 'error',
      comment:
        'Every SQL statement lives in its area store (domain/<area>/store.ts, or a store.ts beside it named <what>-store.ts); other modules take the Db type from platform/db.',
      from: {
        path: '^src/',
        pathNot: [
          '^src/platform/db\\.ts$',
          '^src/domain/[^/]+/(store|[a-z]+-store)\\.ts$',
          '^src/channels/mysql/client\\.ts$',
        ],
      },
      to: { path: 'node_modules/knex/' },
    },
    {
      name: 'express-only-in-api',
      severity: 'error',
      comment: 'api is the only layer that knows HTTP routes (devkit runs the local sample servers).',
      from: { path: '^src/', pathNot: '^src/(api|devkit)/' },
      to: { path: 'node_modules/express/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'domain-areas-meet-through-service-or-model',
      severity: 'error',
      comment:
        'One domain area reaches another only through its service.ts, model.ts or (pure) status.ts, never its store (a row type from a store, import type, is allowed).',
      from: { path: '^src/domain/([^/]+)/' },
      to: {
        path: '^src/domain/[^/]+/',
        pathNot: ['^src/domain/$1/', '^src/domain/[^/]+/(service|model|status)\\.ts$'],
        ...RUNTIME,
      },
    },
    {
      name: 'channels-reach-orders-through-its-service',
      severity: 'error',
      comment: 'Channel code stores orders through the orders service, not the orders store.',
      from: { path: '^src/(channels/|activities/channels\\.ts$)' },
      to: { path: '^src/domain/orders/(store|[a-z]+-store)\\.ts$', ...RUNTIME },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.(csv|json)$' },
    // swc, because dependency-cruiser cannot use TypeScript 7. swc keeps `import type` in the graph (marked
    // type-only) as tsPreCompilationDeps would with tsc; setting that option here would only ask for tsc.
    // tsconfig.json declares no `paths`, so resolving extensionless specifiers to .ts is all we need.
    parser: 'swc',
    extensions: ['.ts', '.js', '.mjs', '.cjs'],
    enhancedResolveOptions: {
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
    cache: false,
  },
};

module.exports = config;

// `node .dependency-cruiser.cjs [paths…]`: cruise (default src/) and exit non-zero on a violation.
if (require.main === module) {
  (async () => {
    const { cruise, format } = await import('dependency-cruiser');
    const paths = process.argv.length > 2 ? process.argv.slice(2) : ['src'];
    const result = await cruise(paths, {
      ...config.options,
      ruleSet: { forbidden: config.forbidden },
      validate: true,
    });
    const report = await format(result.output, { outputType: 'err' });
    process.stdout.write(report.output);
    process.exitCode = report.exitCode;
  })().catch((error) => {
    console.error(error);
    process.exitCode = 2;
  });
}
