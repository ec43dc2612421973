import { planDigest } from '../plan';
import type { BuildPlan } from '../types';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (text: string) => `\`${text}\``;
const table = (head: string[], rows: string[][]) =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');

/** A reviewable Markdown summary of a plan (file contents left out); the README shows the defaults with it. */
export function renderPlanMarkdown(plan: BuildPlan): string {
  return [
    `Plan digest: ${code(planDigest(plan))} (${plan.release}, ${plan.architecture}, target ${plan.target})`,
    '',
    '**APT**',
    '',
    table(['file', 'needed by', 'reason'], [...plan.apt.sources, ...plan.apt.preferences].map((f) => [code(f.path), f.needed_by.join(', '), f.reason])),
    '',
    '**Packages** (installed without recommends)',
    '',
    table(['package', 'needed by', 'suite', 'reason'], plan.packages.map((p) => [code(p.name), p.needed_by.join(', '), p.suite ?? plan.release, p.reason])),
    '',
    '**Files**',
    '',
    table(['path', 'mode', 'owner', 'replaces conffile of', 'reason'], plan.files.map((f) => [code(f.path), f.mode, f.owner, f.replaces_conffile_of ?? '', f.reason])),
    '',
    '**Groups, services, cleanup**',
    '',
    ...plan.users.flatMap((u) => u.groups.map((g) => `- ${code(u.user)} joins ${code(g.group)} (${g.needed_by.join(', ')}): ${g.reason}`)),
    ...plan.services.map((s) => `- ${s.action} ${code(s.unit)}: ${s.reason}`),
    ...plan.cleanup.map((c) => `- ${c.action}${c.when === 'build-instance' ? ' (build instance only)' : ''} ${code((c.paths ?? c.argv ?? []).join(' '))}: ${c.reason}`),
    '',
    '**Expected worker metadata**',
    '',
    ...Object.entries(plan.expect.metadata).map(([key, value]) => `- ${code(`${key}: ${value}`)}`),
    '',
    '**Extra checks on the booted worker**',
    '',
    ...plan.expect.checks.map((c) => `- ${c.name}: ${code(c.command)}`),
    '',
    `**Publish (${plan.target})**`,
    '',
    ...plan.publish.map((s, i) => `${i + 1}. ${code(s.step)}: ${s.description}`),
    '',
    `**Warnings**: ${plan.warnings.length === 0 ? 'none' : plan.warnings.map((w) => `${code(w.code)} ${w.message}`).join('; ')}`,
    '',
  ].join('\n');
}
