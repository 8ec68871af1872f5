// Type check of datafordeler-cpr/stream's declarations (run by tests/js/cli-stream.test.mjs).
import { CprClient, type ItemResult } from 'datafordeler-cpr';
import { lookupStream, type LookupStreamOptions } from 'datafordeler-cpr/stream';

const client = new CprClient({ enabled: true, environment: 'test04', sectorType: 'private', authMethod: 'sharedSecret', clientId: 'erp', clientSecret: 's' });
const options: LookupStreamOptions = { concurrency: 8, window: 32, signal: new AbortController().signal };

async function* rows(): AsyncGenerator<{ cpr: string; existing: Record<string, unknown> }> {
  yield { cpr: '070761-0123', existing: { name: 'J. Testesen' } };
}

export async function refresh(): Promise<number> {
  let changed = 0;
  for await (const result of lookupStream(client, rows(), options)) {
    const item: ItemResult = result;
    if (result.ok) changed += result.value.merge?.changes.length ?? 0;
    else console.log(item.index, result.error.code);
  }
  for await (const result of lookupStream(client, ['0707610123'])) console.log(result.index);
  return changed;
}

// @ts-expect-error the options refuse an unknown key
lookupStream(client, [], { concurency: 2 });
// @ts-expect-error items must be iterable
lookupStream(client, 42);
// @ts-expect-error a result's value exists only when ok
lookupStream(client, []).next().then((step) => step.value && step.value.value.person);
