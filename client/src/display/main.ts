// The cath-lab display at /?procedure=ID[&token=…][&transport=socket.io][&field=gpu].

import '../styles/display.css';
import { DisplayConnection, type Transport } from '../common/connection.ts';
import { GuidanceView, type FieldBackend } from './guidance-view.ts';
import { mountLayout } from './layout.ts';

const params = new URLSearchParams(location.search);
const procedure = params.get('procedure') ?? 'demo';
// A display token, when the server requires one, comes in this page's own URL (?token=).
const token = params.get('token');
const transport = params.get('transport') as Transport | null;
const field: FieldBackend = params.get('field') === 'gpu' ? 'gpu' : 'ts';

const ui = mountLayout(document.body);
const view = new GuidanceView(ui, { procedure, token, field });
const connection = new DisplayConnection({
  procedure,
  token,
  transport: transport === 'socket.io' || transport === 'websocket' ? transport : null,
  onMessage: (m) => view.apply(m),
  onLink: (state) => view.setLink(state),
});
setInterval(() => view.watchdog(), 100);

// Link latency: half the round trip of a small request, every 5 s.
async function measureLink(): Promise<void> {
  const t0 = performance.now();
  try {
    await fetch('/health', { cache: 'no-store' });
    view.setLinkLatency((performance.now() - t0) / 2);
  } catch {
    /* the banner already says the link is down */
  }
}
void measureLink();
setInterval(() => void measureLink(), 5000);

// For tests and the frame-time bench.
Object.assign(window, { twinguideDisplay: { view, connection, get transport() { return connection.current; } } });
