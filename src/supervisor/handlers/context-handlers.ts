import { parseContextDoc, resolveSection } from '../../core/context-doc.js';
import { getTask } from '../../core/task-queue.js';
import { formatId } from '../../core/task.js';
import { MusterError } from '../../protocol/errors.js';
import type { Caller, ParsedParamsOf, ResultOf } from '../../protocol/methods.js';
import type { Services } from '../services.js';

export async function contextAdd(sup: Services, p: ParsedParamsOf<'context.add'>, caller?: Caller): Promise<ResultOf<'context.add'>> {
  if (p.task !== undefined && !getTask(sup.cell.state, p.task))
    throw new MusterError('not-found', `No task ${formatId(p.task)}. "muster task list" shows the tasks there are.`);
  const task = p.task ?? sup.cell.taskOfCaller(caller);
  return sup.context.add(p.section, p.text, task ? formatId(task) : 'operator');
}

/** The document (or one section of it), with its blockers and how many are unread. */
export function contextShow(sup: Services, p: ParsedParamsOf<'context.show'>): ResultOf<'context.show'> {
  let text = sup.context.read();
  if (p.section !== undefined) {
    const doc = parseContextDoc(text);
    const heading = resolveSection(
      p.section,
      doc.sections.map((s) => s.heading),
    );
    if (!heading.ok) throw new MusterError('bad-input', `--section ${JSON.stringify(p.section)}: ${heading.error.message}`);
    const section = doc.sections.find((s) => s.heading === heading.value);
    if (!section)
      throw new MusterError('not-found', `The shared context has no section "${heading.value}" (sections: ${doc.sections.map((s) => s.heading).join(', ')}).`);
    text = `## ${section.heading}\n\n${section.entries.map((e) => e.raw).join('\n')}\n`;
  }
  const blockers = sup.context.blockers();
  return { file: sup.context.file, text, blockers, unread: blockers.filter((b) => !b.acknowledged).length };
}

export async function contextAck(sup: Services, p: ParsedParamsOf<'context.ack'>): Promise<ResultOf<'context.ack'>> {
  return { unread: await sup.context.acknowledge(p.keys ?? 'all') };
}
