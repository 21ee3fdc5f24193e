/** The texts `vqbench embed` embeds: a corpus (documents), or every text of a task grouped by role. */
import { loadTextCorpus, loadTextTask, textsOf } from '../data/text/registry.js';
import type { EmbedRole } from './types.js';

export interface TextGroup {
  role: EmbedRole;
  texts: string[];
}

/** The texts of a corpus, or every text of a task grouped by role (queries first, as textsOf gives them); `limit` keeps the first N of each group. */
export async function textGroups(spec: string, limit?: number): Promise<{ name: string; groups: TextGroup[] }> {
  let out: { name: string; groups: TextGroup[] };
  try {
    const c = await loadTextCorpus(spec);
    out = { name: c.name, groups: [{ role: 'document', texts: c.texts }] };
  } catch (corpusError) {
    try {
      const t = await loadTextTask(spec);
      out = { name: t.meta.name, groups: textsOf(t) };
    } catch {
      throw corpusError; // neither a corpus nor a task: the corpus loader's sentence names the spec
    }
  }
  if (limit !== undefined) out.groups = out.groups.map((g) => ({ role: g.role, texts: g.texts.slice(0, limit) }));
  return out;
}
