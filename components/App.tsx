import { Box, Text } from 'ink';
import { Header } from './Header.js';
import { HEADER_ROWS, MIN_COLS, MIN_ROWS } from './layout.js';
import { gridProblem } from './grid/compositor.js';
import { StatusLine } from './StatusLine.js';
import { ConfirmDialog, DiffOverlay, FormDialog, HelpOverlay, OfflineDialog, QuitDialog } from './dialogs/Dialogs.js';
import type { CockpitState } from './model/cockpit-state.js';
import { useCockpit, useEnv } from './use-cockpit.js';
import { useInputEvents } from './use-input-events.js';
import { ScrollbackView } from './dialogs/ScrollbackView.js';
import { AgentsList } from './views/AgentsList.js';
import { ConflictsView } from './views/ConflictsView.js';
import { ContextView } from './views/ContextView.js';
import { LocksView } from './views/LocksView.js';
import { MergesView } from './views/MergesView.js';
import { TasksView } from './views/TasksView.js';
import { TaskDetailOverlay } from './views/TaskDetail.js';

/**
 * The cockpit. One input hook hears every key and paste and hands it to the controller's
 * dispatcher.
 * With `gridOutside`, the agents view's live panes and its status line are drawn by the pane
 * compositor, and Ink draws only the header there.
 */
export function App({ gridOutside = false }: { gridOutside?: boolean }) {
  const { controller, theme } = useEnv();
  const s = useCockpit();
  useInputEvents((event) => controller.handleInput(event), s.attached === null);
  if (s.attached !== null) return null;
  if (s.size.cols < MIN_COLS || s.size.rows < MIN_ROWS) {
    return <Text wrap="truncate">{`muster needs at least ${MIN_COLS}x${MIN_ROWS}; this terminal is ${s.size.cols}x${s.size.rows}. q quits.`}</Text>;
  }
  const height = Math.max(1, s.size.rows - HEADER_ROWS - 2);
  const problem = gridOutside && s.view === 'agents' ? gridProblem(s) : 'not drawn outside';
  if (problem === null && !s.overlay) return <Header s={s} theme={theme} />;
  const smallNote = problem && problem !== 'empty' && problem !== 'not drawn outside' ? problem : undefined;
  return (
    <Box flexDirection="column" width={s.size.cols} height={s.size.rows - 1}>
      <Header s={s} theme={theme} />
      <Box height={height} flexDirection="column">
        <Body s={s} height={height} smallNote={smallNote} />
      </Box>
      <StatusLine s={s} bindings={controller.bindings} context={controller.context()} theme={theme} />
    </Box>
  );
}

function Body({ s, height, smallNote }: { s: CockpitState; height: number; smallNote: string | undefined }) {
  const { controller, theme } = useEnv();
  const o = s.overlay;
  if (o?.kind === 'help') return <HelpOverlay bindings={controller.bindings} scroll={o.scroll} height={height} width={s.size.cols} theme={theme} />;
  if (o?.kind === 'diff') return <DiffOverlay overlay={o} height={height} width={s.size.cols} theme={theme} />;
  if (o?.kind === 'detail')
    return <TaskDetailOverlay overlay={o} conflicts={s.conflicts} bindings={controller.bindings} height={height} width={s.size.cols} theme={theme} />;
  if (o?.kind === 'scrollback') return <ScrollbackView overlay={o} size={s.size} theme={theme} />;
  const view = (() => {
    switch (s.view) {
      case 'agents':
        return <AgentsList s={s} theme={theme} height={height} bindings={controller.bindings} note={smallNote} />;
      case 'tasks':
        return <TasksView s={s} theme={theme} height={height} bindings={controller.bindings} />;
      case 'locks':
        return <LocksView s={s} theme={theme} height={height} />;
      case 'conflicts':
        return <ConflictsView s={s} theme={theme} height={height} />;
      case 'merges':
        return <MergesView s={s} theme={theme} height={height} bindings={controller.bindings} />;
      case 'context':
        return <ContextView s={s} theme={theme} height={height} />;
    }
  })();
  if (!o) return view;
  return (
    <Box flexDirection="column" height={height}>
      {o.kind === 'confirm' ? <ConfirmDialog message={o.message} theme={theme} /> : null}
      {o.kind === 'quit' ? <QuitDialog running={s.tasks.filter((t) => t.state === 'running').length} bindings={controller.bindings} theme={theme} /> : null}
      {o.kind === 'form' ? <FormDialog form={o.form} theme={theme} width={s.size.cols} /> : null}
      {o.kind === 'offline' ? <OfflineDialog overlay={o} bindings={controller.bindings} theme={theme} /> : null}
    </Box>
  );
}
