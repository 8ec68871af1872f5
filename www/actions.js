// Actions: "Test connection" and "Fetch CPR Schema", both run by the library's client against
// the resolved endpoints (the local emulator by default).
import { h, downloadLink, show } from './dom.js';
import { renderConnectionReport, renderFailure } from './diagnosis.js';

function renderDrift(drift) {
  const list = (title, items) => items.length
    ? [h('dt', {}, title), h('dd', { class: 'mono' }, items.join(', '))]
    : null;
  return [
    h('p', { class: `outcome ${drift.ok ? 'passed' : 'failed'}`, id: 'drift-outcome' },
      drift.ok ? 'Lookups work with this schema.' : 'Lookups do not work with this schema: see below.'),
    h('dl', { class: 'facts', id: 'drift-report' },
      drift.rootField ? [h('dt', {}, 'Root field'), h('dd', { class: 'mono' }, drift.rootField)] : null,
      drift.filter ? [h('dt', {}, 'CPR filter'), h('dd', { class: 'mono' }, drift.filter.text)] : null,
      list('Required fields missing', drift.missingRequired),
      list('Optional fields missing (left out of queries)', drift.missingFields),
      list('Fields offered but not used', drift.unusedFields)),
    drift.issues.length
      ? h('ul', { class: 'messages' }, drift.issues.map((i) => h('li', { class: i.severity }, i.message)))
      : null,
  ];
}

export function attachActions({ buttons, result, withClient }) {
  const busy = (on) => {
    for (const b of Object.values(buttons)) b.disabled = on;
    result.setAttribute('aria-busy', String(on));
  };

  buttons.testConnection.addEventListener('click', async () => {
    busy(true);
    show(result, h('p', { class: 'muted' }, 'Testing the connection…'));
    try {
      const report = await withClient((client) => client.testConnection());
      show(result, renderConnectionReport(report));
    } catch (error) {
      show(result, renderFailure('Test connection', error));
    } finally {
      busy(false);
    }
  });

  buttons.fetchSchema.addEventListener('click', async () => {
    busy(true);
    show(result, h('p', { class: 'muted' }, 'Fetching the CPR schema…'));
    try {
      const { sdl, drift, endpoints, apiVersion } = await withClient(async (client) => ({
        sdl: await client.fetchSchema(),
        drift: await client.checkSchema(),
        endpoints: await client.fetchEndpoints(),
        apiVersion: client.apiVersion, // the version that answered (auto negotiates)
      }));
      const filename = `cpr-schema-${endpoints.sectorType}-${apiVersion ?? endpoints.apiVersion}.graphql`;
      const link = downloadLink(`Download ${filename} again`, filename, sdl, 'text/plain');
      link.id = 'schema-download';
      show(result,
        h('p', {}, `Fetched the schema of ${endpoints.entity} (${sdl.length.toLocaleString('en')} characters) and saved it as ${filename}. `, link),
        renderDrift(drift));
      link.click(); // "Fetch CPR Schema" downloads the file, as in the ERP.
    } catch (error) {
      show(result, renderFailure('Fetch CPR Schema', error));
    } finally {
      busy(false);
    }
  });
}
