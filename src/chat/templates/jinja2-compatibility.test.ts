import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Template } from '@huggingface/jinja';
import { renderInJinja2Environment } from './jinja2-environment.ts';

/*
 * Where @huggingface/jinja differed from jinja2 on real chat templates, patches/@huggingface+jinja+*.patch
 * makes it behave as jinja2. Each row is a small template, its variables, and what jinja2 3.1 (in
 * transformers' set-up, with its json.dumps `tojson`) renders for it: the outputs were produced by
 * Debian's python3-jinja2, as the chat-template fixtures were. Without the patch every row fails.
 */
const jinja2Renderings: [behaviour: string, source: string, variables: Record<string, unknown>, jinja2Output: string][] = [
  ["a for loop over an undefined value runs zero times", "[{% for tool in tools %}{{ tool }}{% endfor %}]", {}, "[]"],
  ["length, list and string of an undefined value", "{{ tools | length }}|{{ tools | list }}|{{ tools | string }}|", {}, "0|[]||"],
  ["selectattr, rejectattr and map on none yield nothing", "{% set tools = none %}{{ tools | selectattr('type', 'equalto', 'x') | list | length }}{{ tools | map(attribute='name') | list }}", {}, "0[]"],
  ["a mapping with integer keys", "{% set budget = {0: 'none', 512: 'low', 4096: 'high'} %}{% for k, v in budget | dictsort %}{{ k + 1 }}={{ v }};{% endfor %}{{ budget[512] }} {{ 4096 in budget }} {{ budget | tojson }}", {}, "1=none;513=low;4097=high;low True {\"0\": \"none\", \"512\": \"low\", \"4096\": \"high\"}"],
  ["tuples unpack in a for loop", "{% for field, label in [('maximum', 'Maximum'), ('minimum', 'Minimum')] %}{{ field }}:{{ label }} {% endfor %}", {}, "maximum:Maximum minimum:Minimum "],
  ["str.format", "{{ '<tool{}>'.format(n) }} {{ '{0}-{1}-{0}'.format('a', 2) }} {{ '{name} {{literal}}'.format(name=true) }}", {"n": 3}, "<tool3> a-2-a True {literal}"],
  ["string of a mapping and of a list is Python's repr", "{{ tool | string }} {{ [1, 'it\\u0027s', none, false] | string }} {{ tool }}", {"tool": {"name": "x", "n": 1.5, "ok": true, "list": [1, "a"]}}, "{'name': 'x', 'n': 1.5, 'ok': True, 'list': [1, 'a']} [1, \"it's\", None, False] {'name': 'x', 'n': 1.5, 'ok': True, 'list': [1, 'a']}"],
  ["booleans print as Python's", "{{ true }} {{ 1 == 1 }} {{ x is string }}", {"x": "a"}, "True True True"],
  ["min and max of a list", "{{ [3, 1, 2] | min }} {{ [3, 1, 2] | max }}", {}, "1 3"],
  ["equality does not coerce types", "{{ 1 == '1' }} {{ '' == 0 }} {{ [1, 2] == [1, 2] }} {{ {'a': 1} == {'a': 1} }} {{ 1 == 1.0 }}", {}, "False False True True True"],
  ["~ writes str() of each side", "{{ 'a' ~ true ~ none ~ undefined_name ~ [1] }}", {}, "aTrueNone[1]"],
  ["safe text concatenated with plain text escapes the plain text", "{{ 'say '|safe + text }}", {"text": "\"hi\" & <bye>"}, "say &#34;hi&#34; &amp; &lt;bye&gt;"],
  ["tojson writes floats, tuples, sorted keys and integer keys as json.dumps", "{{ 2.0 | tojson }} {{ (1, 2) | tojson }} {{ {'b': 1, 'B': 2, 'a': 3} | tojson(sort_keys=true) }} {{ {1: 'a'} | tojson }}", {}, "2.0 [1, 2] {\"B\": 2, \"a\": 3, \"b\": 1} {\"1\": \"a\"}"],
  ["none prints as None, and a set statement prints nothing", "{% set y = none %}{{ none }}|{{ x }}|{{ y }}|{{ {\"a\": none}.a }}", { "x": null }, "None|None|None|None"],
  ["a filtered sequence is a generator, and a generator is true even when empty", "{% if [] | selectattr('a') %}a generator is true{% endif %}", {}, "a generator is true"],
];

describe('@huggingface/jinja, patched, renders as jinja2', () => {
  for (const [behaviour, source, variables, jinja2Output] of jinja2Renderings) {
    it(behaviour, () => {
      assert.equal(renderInJinja2Environment(new Template(source), variables), jinja2Output);
    });
  }

  it("refuses what jinja2 refuses: a generator's length or JSON, and + between a string and a non-string", () => {
    const render = (source: string) => () => renderInJinja2Environment(new Template(source), {});
    assert.throws(render("{{ [{'a': 1}] | map(attribute='a') | length }}"), /object of type 'generator' has no len\(\)/);
    assert.throws(render("{{ [{'a': 1}] | map(attribute='a') | tojson }}"), /Object of type generator is not JSON serializable/);
    assert.throws(render("{{ 'text' + {'a': 1} }}"), /can only concatenate str \(not "dict"\) to str/);
  });
});
