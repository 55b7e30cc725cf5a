/**
 * A minimal MCP Apps host for the browser, built with the ext-apps AppBridge: it puts a view's
 * HTML in a sandboxed frame, answers its handshake, then sends it one tool call's input and
 * result, as a host like Claude Desktop does.
 */
import { AppBridge, PostMessageTransport } from '@modelcontextprotocol/ext-apps/app-bridge';

async function showApp(html: string, input: Record<string, unknown>, result: Record<string, unknown>): Promise<void> {
  const frame = document.createElement('iframe');
  frame.setAttribute('sandbox', 'allow-scripts');
  frame.style.width = '900px';
  frame.style.height = '480px';
  frame.srcdoc = html;
  document.body.append(frame);
  const bridge = new AppBridge(null, { name: 'test-host', version: '1.0.0' }, {});
  bridge.oninitialized = () => {
    void bridge.sendToolInput({ arguments: input }).then(() => bridge.sendToolResult(result as never));
  };
  await bridge.connect(new PostMessageTransport(frame.contentWindow!, frame.contentWindow!));
}

(window as unknown as { showApp: typeof showApp }).showApp = showApp;
