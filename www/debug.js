// CPR Debug Mode: every operation's redacted capture (what was sent and received; secrets,
// tokens and CPR numbers already removed by the library) offered as a JSON download.
import { h, downloadLink, releaseLinks } from './dom.js';

const MAX_LINKS = 20;

export function createDebugPanel(section, list) {
  let count = 0;
  return {
    /** The client's onDebug option. */
    add(capture) {
      count += 1;
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      const filename = `cpr-debug-${stamp}-${String(count).padStart(3, '0')}-${capture.operation}.json`;
      const status = capture.diagnosis ? `failed: ${capture.diagnosis.title}` : 'succeeded';
      list.prepend(h('li', { dataset: { operation: capture.operation } },
        downloadLink(`${capture.operation} (${status}) — download JSON`, filename, JSON.stringify(capture, null, 2), 'application/json'),
        h('span', { class: 'muted' }, ` ${capture.exchanges?.length ?? 0} request${capture.exchanges?.length === 1 ? '' : 's'}`)));
      while (list.children.length > MAX_LINKS) {
        releaseLinks(list.lastElementChild);
        list.lastElementChild.remove();
      }
    },
    setEnabled(enabled) {
      section.hidden = !enabled;
    },
  };
}
