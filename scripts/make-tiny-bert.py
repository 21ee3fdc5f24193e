#!/usr/bin/python3
"""
Writes test/fixtures/tiny-bert/: a tiny BERT-shaped model in the transformers.js folder layout, so
that the transformers.js embedder is tested for real (tokenizer, ONNX session, pooling) offline.

  config.json             model_type bert, hidden 32, 1 layer, 1 head, 64 positions
  tokenizer.json          a real WordPiece tokenizer (BertNormalizer, BertPreTokenizer, [CLS] $A [SEP])
  tokenizer_config.json   BertTokenizer, lower case, model_max_length 64
  onnx/model.onnx         input_ids, attention_mask, token_type_ids (int64 [batch, seq])
                          -> last_hidden_state (float32 [batch, seq, 32])
  reference.json          for a few sentences: the WordPiece ids and the last_hidden_state computed
                          here with numpy (the model's math, independent of onnxruntime)

The graph is one simplified transformer layer with seeded weights (numpy RandomState(20240607)):
word + position + token-type embeddings, LayerNorm, single-head self-attention with the attention
mask as an additive -10000 bias, residual + LayerNorm, a tanh feed-forward, residual + LayerNorm.
It is not a trained model; it is a real graph whose output depends on the tokens and the mask.

Run: /usr/bin/python3 scripts/make-tiny-bert.py   (needs the python `onnx` package and numpy)
"""
import json
import os
import unicodedata

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'tiny-bert')
SEED = 20240607
HIDDEN = 32
FFN = 64
MAX_POS = 64
EPS = 1e-12

SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
PUNCT = list('.,!?\'"-:;()/&')
DIGITS = [str(d) for d in range(10)]
LETTERS = [chr(c) for c in range(ord('a'), ord('z') + 1)]
SUFFIXES = ['##s', '##es', '##ed', '##ing', '##er', '##ers', '##ly', '##est', '##ion', '##ness', '##ment', '##able', '##ful', '##y']
WORDS = """
the a an of to and in is was for on that with as by at from it be are this which or his her their
its he she they we you i me my our your not but all one two three first new more most other some
any no can will would should could may might must do does did has have had been being there here
when where what who how why than then so if about into over after before under between through
during without within up down out off again very also only just even still such same each every
man men woman women child children person people dog dogs cat cats bird horse animal animals fish
tree trees plant plants flower water fire air earth sun moon star sky sea river lake mountain city
house home room door window table chair bed car cars road street train ship boat plane bus bike
guitar piano music song songs sound voice play plays playing played game games ball team player
eat eats eating food bread fruit apple rice meat milk coffee tea drink drinks cook kitchen
run runs running walk walks walking ride rides riding swim jump sit stand sleep talk speak read
write book books word words sentence sentences passage passages text document query question
answer search searching find found relevant represent represents meaning language english
stock market price prices money bank company business sell buy trade fell rose sharply today
day days night time year years week month morning evening school student teacher class lesson
work job office computer data science model models vector vectors number numbers small large big
little long short high low good bad great old young red blue green white black yellow
happy sad fast slow hot cold warm new old open close begin end part whole group set system
government country state war peace law court police health doctor hospital disease body hand head
""".split()


def build_vocab():
    seen, vocab = set(), []
    for t in SPECIALS + PUNCT + DIGITS + LETTERS + ['##' + c for c in LETTERS + DIGITS] + SUFFIXES + WORDS:
        if t not in seen:
            seen.add(t)
            vocab.append(t)
    return vocab


# --- a reference BERT tokenizer (BasicTokenizer + WordPiece), to pin the ids transformers.js must give


def is_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith('P')


def basic_tokens(text):
    text = ''.join(' ' if ch.isspace() else ch for ch in text if ord(ch) not in (0, 0xFFFD))
    text = unicodedata.normalize('NFD', text.lower())
    text = ''.join(ch for ch in text if unicodedata.category(ch) != 'Mn')
    out = []
    for word in text.split():
        cur = ''
        for ch in word:
            if is_punct(ch):
                if cur:
                    out.append(cur)
                    cur = ''
                out.append(ch)
            else:
                cur += ch
        if cur:
            out.append(cur)
    return out


def wordpiece(word, index):
    if len(word) > 100:
        return ['[UNK]']
    pieces, start = [], 0
    while start < len(word):
        end, cur = len(word), None
        while start < end:
            sub = word[start:end] if start == 0 else '##' + word[start:end]
            if sub in index:
                cur = sub
                break
            end -= 1
        if cur is None:
            return ['[UNK]']
        pieces.append(cur)
        start = end
    return pieces


def encode(text, index):
    toks = ['[CLS]'] + [p for w in basic_tokens(text) for p in wordpiece(w, index)] + ['[SEP]']
    assert len(toks) <= MAX_POS, 'reference texts must fit without truncation'
    return [index[t] for t in toks]


# --- weights and the numpy forward pass


def make_weights(vocab_size):
    rng = np.random.RandomState(SEED)
    f = lambda *shape, s=0.5: (rng.standard_normal(shape) * s).astype(np.float32)
    return {
        'word_emb': f(vocab_size, HIDDEN),
        'pos_emb': f(MAX_POS, HIDDEN, s=0.1),
        'type_emb': f(2, HIDDEN, s=0.1),
        'ln0_g': (1 + f(HIDDEN, s=0.05)), 'ln0_b': f(HIDDEN, s=0.05),
        'wq': f(HIDDEN, HIDDEN, s=HIDDEN ** -0.5), 'bq': f(HIDDEN, s=0.02),
        'wk': f(HIDDEN, HIDDEN, s=HIDDEN ** -0.5), 'bk': f(HIDDEN, s=0.02),
        'wv': f(HIDDEN, HIDDEN, s=HIDDEN ** -0.5), 'bv': f(HIDDEN, s=0.02),
        'wo': f(HIDDEN, HIDDEN, s=HIDDEN ** -0.5), 'bo': f(HIDDEN, s=0.02),
        'ln1_g': (1 + f(HIDDEN, s=0.05)), 'ln1_b': f(HIDDEN, s=0.05),
        'w1': f(HIDDEN, FFN, s=HIDDEN ** -0.5), 'b1': f(FFN, s=0.02),
        'w2': f(FFN, HIDDEN, s=FFN ** -0.5), 'b2': f(HIDDEN, s=0.02),
        'ln2_g': (1 + f(HIDDEN, s=0.05)), 'ln2_b': f(HIDDEN, s=0.05),
    }


def layer_norm(x, g, b):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + EPS) * g + b


def forward(W, ids, mask, types):
    """ids, mask, types: int arrays [B, L] -> last_hidden_state [B, L, H] (float64 math)."""
    W = {k: v.astype(np.float64) for k, v in W.items()}
    L = ids.shape[1]
    e = W['word_emb'][ids] + W['pos_emb'][np.arange(L)][None] + W['type_emb'][types]
    e = layer_norm(e, W['ln0_g'], W['ln0_b'])
    q, k, v = (e @ W['wq'] + W['bq'], e @ W['wk'] + W['bk'], e @ W['wv'] + W['bv'])
    s = q @ k.transpose(0, 2, 1) / np.sqrt(HIDDEN) + (1.0 - mask[:, None, :]) * -10000.0
    s = s - s.max(-1, keepdims=True)
    p = np.exp(s)
    p /= p.sum(-1, keepdims=True)
    x = layer_norm(e + (p @ v) @ W['wo'] + W['bo'], W['ln1_g'], W['ln1_b'])
    f = np.tanh(x @ W['w1'] + W['b1']) @ W['w2'] + W['b2']
    return layer_norm(x + f, W['ln2_g'], W['ln2_b'])


def make_graph(W):
    inits = [numpy_helper.from_array(v, name=k) for k, v in W.items()]
    consts = {
        'c_one_i': np.array(1, dtype=np.int64), 'c_zero_i': np.array(0, dtype=np.int64),
        'c_one_f': np.array(1.0, dtype=np.float32), 'c_neg_f': np.array(-10000.0, dtype=np.float32),
        'c_scale': np.array(1.0 / np.sqrt(HIDDEN), dtype=np.float32), 'c_axes1': np.array([1], dtype=np.int64),
    }
    inits += [numpy_helper.from_array(v, name=k) for k, v in consts.items()]
    n = helper.make_node
    nodes = [
        n('Gather', ['word_emb', 'input_ids'], ['we']),
        n('Shape', ['input_ids'], ['ids_shape']),
        n('Gather', ['ids_shape', 'c_one_i'], ['seq_len']),
        n('Range', ['c_zero_i', 'seq_len', 'c_one_i'], ['positions']),
        n('Gather', ['pos_emb', 'positions'], ['pe']),
        n('Gather', ['type_emb', 'token_type_ids'], ['te']),
        n('Add', ['we', 'pe'], ['e0']),
        n('Add', ['e0', 'te'], ['e1']),
        n('LayerNormalization', ['e1', 'ln0_g', 'ln0_b'], ['e'], axis=-1, epsilon=EPS),
        n('MatMul', ['e', 'wq'], ['q0']), n('Add', ['q0', 'bq'], ['q']),
        n('MatMul', ['e', 'wk'], ['k0']), n('Add', ['k0', 'bk'], ['k']),
        n('MatMul', ['e', 'wv'], ['v0']), n('Add', ['v0', 'bv'], ['v']),
        n('Transpose', ['k'], ['kt'], perm=[0, 2, 1]),
        n('MatMul', ['q', 'kt'], ['s0']),
        n('Mul', ['s0', 'c_scale'], ['s1']),
        n('Cast', ['attention_mask'], ['maskf'], to=TensorProto.FLOAT),
        n('Unsqueeze', ['maskf', 'c_axes1'], ['mask3']),
        n('Sub', ['c_one_f', 'mask3'], ['inv_mask']),
        n('Mul', ['inv_mask', 'c_neg_f'], ['mask_bias']),
        n('Add', ['s1', 'mask_bias'], ['s']),
        n('Softmax', ['s'], ['p'], axis=-1),
        n('MatMul', ['p', 'v'], ['a']),
        n('MatMul', ['a', 'wo'], ['o0']), n('Add', ['o0', 'bo'], ['o']),
        n('Add', ['e', 'o'], ['r1']),
        n('LayerNormalization', ['r1', 'ln1_g', 'ln1_b'], ['x'], axis=-1, epsilon=EPS),
        n('MatMul', ['x', 'w1'], ['h0']), n('Add', ['h0', 'b1'], ['h1']), n('Tanh', ['h1'], ['h']),
        n('MatMul', ['h', 'w2'], ['f0']), n('Add', ['f0', 'b2'], ['f']),
        n('Add', ['x', 'f'], ['r2']),
        n('LayerNormalization', ['r2', 'ln2_g', 'ln2_b'], ['last_hidden_state'], axis=-1, epsilon=EPS),
    ]
    dims = ['batch_size', 'sequence_length']
    inputs = [helper.make_tensor_value_info(name, TensorProto.INT64, dims) for name in ('input_ids', 'attention_mask', 'token_type_ids')]
    outputs = [helper.make_tensor_value_info('last_hidden_state', TensorProto.FLOAT, dims + [HIDDEN])]
    graph = helper.make_graph(nodes, 'tiny_bert', inputs, outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)], producer_name='vqbench make-tiny-bert.py')
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def tokenizer_json(vocab):
    specials = [{'id': i, 'content': t, 'single_word': False, 'lstrip': False, 'rstrip': False, 'normalized': False, 'special': True}
                for i, t in enumerate(SPECIALS)]
    return {
        'version': '1.0',
        'truncation': None,
        'padding': None,
        'added_tokens': specials,
        'normalizer': {'type': 'BertNormalizer', 'clean_text': True, 'handle_chinese_chars': True, 'strip_accents': None, 'lowercase': True},
        'pre_tokenizer': {'type': 'BertPreTokenizer'},
        'post_processor': {
            'type': 'TemplateProcessing',
            'single': [{'SpecialToken': {'id': '[CLS]', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}}, {'SpecialToken': {'id': '[SEP]', 'type_id': 0}}],
            'pair': [{'SpecialToken': {'id': '[CLS]', 'type_id': 0}}, {'Sequence': {'id': 'A', 'type_id': 0}}, {'SpecialToken': {'id': '[SEP]', 'type_id': 0}},
                     {'Sequence': {'id': 'B', 'type_id': 1}}, {'SpecialToken': {'id': '[SEP]', 'type_id': 1}}],
            'special_tokens': {t: {'id': t, 'ids': [SPECIALS.index(t)], 'tokens': [t]} for t in ('[CLS]', '[SEP]')},
        },
        'decoder': {'type': 'WordPiece', 'prefix': '##', 'cleanup': True},
        'model': {'type': 'WordPiece', 'unk_token': '[UNK]', 'continuing_subword_prefix': '##', 'max_input_chars_per_word': 100,
                  'vocab': {t: i for i, t in enumerate(vocab)}},
    }


REFERENCE_TEXTS = [
    'A man is playing a guitar.',
    'The stock market fell sharply today!',
    'Represent this sentence for searching relevant passages: dogs running',
    'Zebras (quickly) jumped over 42 sleepy unknownwords at the Café ☃.',
]


def main():
    vocab = build_vocab()
    index = {t: i for i, t in enumerate(vocab)}
    W = make_weights(len(vocab))
    os.makedirs(os.path.join(OUT, 'onnx'), exist_ok=True)
    onnx.save(make_graph(W), os.path.join(OUT, 'onnx', 'model.onnx'))

    config = {
        'architectures': ['BertModel'], 'model_type': 'bert', 'vocab_size': len(vocab), 'hidden_size': HIDDEN,
        'num_hidden_layers': 1, 'num_attention_heads': 1, 'intermediate_size': FFN, 'hidden_act': 'tanh',
        'max_position_embeddings': MAX_POS, 'type_vocab_size': 2, 'layer_norm_eps': EPS, 'pad_token_id': 0,
        'note': 'vqbench test fixture: a tiny random BERT-shaped model, not trained (scripts/make-tiny-bert.py)',
    }
    tok_config = {
        'tokenizer_class': 'BertTokenizer', 'do_lower_case': True, 'model_max_length': MAX_POS,
        'cls_token': '[CLS]', 'sep_token': '[SEP]', 'pad_token': '[PAD]', 'unk_token': '[UNK]', 'mask_token': '[MASK]',
        'clean_up_tokenization_spaces': True, 'tokenize_chinese_chars': True, 'strip_accents': None,
    }
    refs = []
    for text in REFERENCE_TEXTS:
        ids = np.array([encode(text, index)], dtype=np.int64)
        hidden = forward(W, ids, np.ones_like(ids, dtype=np.float64), np.zeros_like(ids))
        refs.append({'text': text, 'ids': ids[0].tolist(), 'last_hidden_state': np.round(hidden[0], 7).tolist()})

    def dump(name, obj):
        with open(os.path.join(OUT, name), 'w') as fh:
            json.dump(obj, fh, indent=1 if name != 'tokenizer.json' else None, ensure_ascii=False)
            fh.write('\n')

    dump('config.json', config)
    dump('tokenizer.json', tokenizer_json(vocab))
    dump('tokenizer_config.json', tok_config)
    dump('reference.json', {'seed': SEED, 'hidden': HIDDEN, 'texts': refs})
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f'wrote {OUT}: vocab {len(vocab)}, hidden {HIDDEN}, {total} bytes')


if __name__ == '__main__':
    main()
