/**
 * Benchmark 6 page: a `ChatWindow` with 1 000 messages of history, streaming a real turn over the
 * kit's transport (the bench process runs the broker and a worker at a fixed token rate).
 * Measures, per commit: React Profiler `actualDuration`, and how many message rows rendered
 * (fibers of `ChatWindow.Message` that performed work, read through the DevTools hook).
 */
import { Profiler, useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import type { UIMessage } from 'ai';
import { ChatWindow, useCloudSignalChat } from '../../src/react.js';
import '../../src/styles.css';
import type { Commit } from './commit.js';


const params = new URLSearchParams(location.search);
const wsUrl = params.get('ws')!;
const historySize = Number(params.get('history') ?? 1000);
const virtualize = params.get('virtualize') === '1';

function history(count: number): UIMessage[] {
  return Array.from({ length: count }, (_, i): UIMessage =>
    i % 2 === 0
      ? { id: `u${i}`, role: 'user', parts: [{ type: 'text', text: `Question number ${i / 2}: what happens to message ${i} when a token arrives?` }] }
      : { id: `a${i}`, role: 'assistant', parts: [{ type: 'text', state: 'done', text: `Answer ${i}: nothing, **it is settled**. Only the live row should render${i % 7 === 0 ? ', even with `code` in it' : ''}.` }] },
  );
}

const commits: Commit[] = [];
let rowsThisCommit = 0;
// Set while App renders, read when the commit is recorded.
let renderedStatus = '';
let renderedLiveId: string | undefined;
const PERFORMED_WORK = 1;

// Counts rows (fibers of the Message component) that performed work in this commit.
(window as unknown as { __REACT_DEVTOOLS_GLOBAL_HOOK__: { benchListen(fn: (root: { current: Fiber }) => void): void } }).__REACT_DEVTOOLS_GLOBAL_HOOK__.benchListen((root) => {
  let rows = 0;
  const ids: string[] = [];
  const stack: Fiber[] = [root.current];
  while (stack.length > 0) {
    const fiber = stack.pop()!;
    if (fiber.elementType === ChatWindow.Message || fiber.type === ChatWindow.Message) {
      // Memo bails out on a clone without PerformedWork; a render (or mount) sets it. A context
      // change can still render the inner forwardRef under a memo bail-out: count that too.
      const inner = fiber.child;
      const innerRendered = inner !== null && inner !== fiber.alternate?.child && (inner.flags & PERFORMED_WORK) !== 0;
      if ((fiber.flags & PERFORMED_WORK) !== 0 || innerRendered) {
        rows++;
        ids.push((fiber.memoizedProps as { message?: { id: string } }).message?.id ?? '?');
      }
      continue; // rows do not nest
    }
    // A subtree React did not touch keeps its old child pointer (and stale flags): skip it,
    // as React DevTools does, so only fibers of this commit are counted.
    if (fiber.child && (fiber.alternate === null || fiber.child !== fiber.alternate.child)) stack.push(fiber.child);
    if (fiber.sibling) stack.push(fiber.sibling);
  }
  rowsThisCommit = rows;
  const last = commits[commits.length - 1];
  if (last && last.rows < 0) {
    last.rows = rows;
    last.ids = ids;
  }
});

interface Fiber {
  elementType: unknown;
  type: unknown;
  flags: number;
  child: Fiber | null;
  sibling: Fiber | null;
  alternate: Fiber | null;
  memoizedProps: unknown;
}

// Built once: the page's own work must not count as the window's render cost.
const initialMessages = history(historySize);

function App() {
  const chat = useCloudSignalChat({ id: 'benchchat0000001', transport: { wssUrl: wsUrl, userId: 'user_bench', trigger: 'mqtt' }, messages: initialMessages, resume: false });
  renderedStatus = chat.status;
  const last = chat.messages[chat.messages.length - 1];
  if (chat.status === 'streaming' && last?.role === 'assistant') renderedLiveId = last.id;
  useEffect(() => {
    (window as unknown as { bench: object }).bench = {
      connected: () => chat.connection.status === 'connected',
      send: (text: string) => void chat.sendMessage({ text }),
    };
  });
  useEffect(() => {
    const w = window as unknown as { benchStatus: string; benchStatuses?: string[] };
    w.benchStatus = chat.status;
    (w.benchStatuses ??= []).push(`${chat.status}${chat.error ? `: ${chat.error.message}` : ''}`);
  }, [chat.status, chat.error]);
  return <ChatWindow chat={chat} virtualize={virtualize} title="Bench" />;
}

(window as unknown as { benchCommits: Commit[] }).benchCommits = commits;
createRoot(document.getElementById('root')!).render(
  <Profiler
    id="chat"
    onRender={(_id, phase, actualDuration, _base, _start, commitTime) => {
      // onRender runs before the DevTools hook sees the commit: the hook fills in `rows`.
      commits.push({ phase, ms: actualDuration, at: commitTime, rows: -1, status: renderedStatus, liveId: renderedLiveId });
      void rowsThisCommit;
    }}
  >
    <App />
  </Profiler>,
);
