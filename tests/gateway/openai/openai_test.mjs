// The official openai client (pinned in package-lock.json) against `tsuku llm serve`: what an editor or agent does.
//   node openai_test.mjs BASE_URL TOKEN
// Each check prints "ok NAME" or throws (exit 1). No retries: a 429 must reach the test, not be retried away.
import OpenAI from 'openai';
import assert from 'node:assert/strict';

const [baseURL, token] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: token, maxRetries: 0, timeout: 300_000 });
const user = (content) => [{ role: 'user', content }];

async function waitReady() {
  const health = baseURL.replace(/\/v1$/, '/health');
  for (let i = 0; i < 3000; i++) {
    try {
      const r = await fetch(health);
      if (r.status === 200) return await r.json();
      assert.equal(r.status, 503, 'a starting server says 503');
    } catch (e) {
      if (e instanceof assert.AssertionError) throw e;
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error('the server did not become ready');
}

const checks = {
  async models() {
    const list = await client.models.list();
    const ids = list.data.map((m) => m.id);
    assert.ok(ids.length >= 1, 'the served model is listed');
  },

  async chat() {
    const r = await client.chat.completions.create({
      model: 'tsuku',
      messages: [{ role: 'system', content: 'You are terse.' }, ...user('Say hello')],
      max_tokens: 16,
      seed: 7,
    });
    assert.equal(r.object, 'chat.completion');
    assert.equal(r.choices.length, 1);
    assert.equal(r.choices[0].message.role, 'assistant');
    assert.equal(typeof r.choices[0].message.content, 'string');
    assert.ok(['stop', 'length'].includes(r.choices[0].finish_reason), r.choices[0].finish_reason);
    assert.ok(r.usage.completion_tokens >= 1 && r.usage.completion_tokens <= 16, JSON.stringify(r.usage));
    assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  },

  async streamedChat() {
    const stream = await client.chat.completions.create({
      model: 'tsuku', messages: user('Tell me a story'), max_tokens: 24, seed: 3, stream: true,
      stream_options: { include_usage: true },
    });
    let deltas = 0, finish = null, usage = null, text = '';
    for await (const chunk of stream) {
      assert.equal(chunk.object, 'chat.completion.chunk');
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        if (c.delta.content) { deltas++; text += c.delta.content; }
        if (c.finish_reason) finish = c.finish_reason;
      }
    }
    assert.ok(deltas > 1, `more than one content delta (got ${deltas})`);
    assert.ok(['stop', 'length'].includes(finish), String(finish));
    assert.ok(usage && usage.completion_tokens >= 1, 'include_usage sends usage');
    // The SDK hides the terminator; read the raw events once to see it.
    const raw = await fetch(`${baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ model: 'tsuku', messages: user('Hi'), max_tokens: 6, stream: true }),
    });
    const body = await raw.text();
    assert.ok(body.trimEnd().endsWith('data: [DONE]'), body.slice(-200));
  },

  async toolsRequired() {
    const tools = [{
      type: 'function',
      function: {
        name: 'get_time',
        description: 'the time in a zone',
        parameters: {
          type: 'object', properties: { zone: { enum: ['UTC', 'CET'] } }, required: ['zone'],
          additionalProperties: false,
        },
      },
    }];
    const r = await client.chat.completions.create({
      model: 'tsuku', messages: user('What time is it in Paris?'), tools, tool_choice: 'required', max_tokens: 200,
    });
    const choice = r.choices[0];
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.tool_calls.length >= 1, true);
    const call = choice.message.tool_calls[0];
    assert.equal(call.type, 'function');
    assert.equal(call.function.name, 'get_time');
    assert.ok(call.id, 'a call has an id');
    const args = JSON.parse(call.function.arguments);
    assert.deepEqual(Object.keys(args), ['zone']);
    assert.ok(['UTC', 'CET'].includes(args.zone), args.zone);

    // The answer goes back as a tool message; the conversation continues.
    const next = await client.chat.completions.create({
      model: 'tsuku', max_tokens: 8,
      messages: [...user('What time is it in Paris?'), choice.message,
        { role: 'tool', tool_call_id: call.id, content: '12:00' }],
    });
    assert.equal(next.choices[0].message.role, 'assistant');

    // Streamed: the call arrives as a tool-call delta, then finish_reason tool_calls.
    const stream = await client.chat.completions.create({
      model: 'tsuku', messages: user('Time?'), tools, tool_choice: 'required', max_tokens: 200, stream: true,
    });
    let name = '', argText = '', finish = null;
    for await (const chunk of stream) {
      for (const c of chunk.choices) {
        for (const t of c.delta.tool_calls ?? []) {
          name += t.function?.name ?? '';
          argText += t.function?.arguments ?? '';
        }
        if (c.finish_reason) finish = c.finish_reason;
      }
    }
    assert.equal(name, 'get_time');
    assert.ok(['UTC', 'CET'].includes(JSON.parse(argText).zone), argText);
    assert.equal(finish, 'tool_calls');
  },

  async jsonSchema() {
    const schema = {
      type: 'object',
      properties: { name: { type: 'string', maxLength: 5 }, ok: { type: 'boolean' } },
      required: ['name', 'ok'], additionalProperties: false,
    };
    const r = await client.chat.completions.create({
      model: 'tsuku', messages: user('Describe yourself'), max_tokens: 200,
      response_format: { type: 'json_schema', json_schema: { name: 'me', schema, strict: true } },
    });
    const v = JSON.parse(r.choices[0].message.content);
    assert.deepEqual(Object.keys(v).sort(), ['name', 'ok']);
    assert.equal(typeof v.name, 'string');
    // maxLength counts characters (JSON Schema), not JavaScript's UTF-16 units: an emoji is one character.
    assert.ok([...v.name].length <= 5, v.name);
    assert.equal(typeof v.ok, 'boolean');

    const o = await client.chat.completions.create({
      model: 'tsuku', messages: user('Anything'), max_tokens: 200, response_format: { type: 'json_object' },
    });
    // Any object is allowed, so the synthetic model may still be inside one at max_tokens (finish_reason length,
    // as OpenAI documents for json_object); a reply that ended by itself must parse.
    const text = o.choices[0].message.content;
    assert.ok(text.trimStart().startsWith('{'), text);
    if (o.choices[0].finish_reason === 'stop') assert.equal(typeof JSON.parse(text), 'object');
    else assert.equal(o.choices[0].finish_reason, 'length');
  },

  async unauthorised() {
    const wrong = new OpenAI({ baseURL, apiKey: 'not-the-token', maxRetries: 0 });
    await assert.rejects(wrong.chat.completions.create({ model: 'tsuku', messages: user('Hi'), max_tokens: 4 }),
      (e) => e instanceof OpenAI.AuthenticationError && e.status === 401);
  },

  async badField() {
    await assert.rejects(
      client.chat.completions.create({ model: 'tsuku', messages: user('Hi'), max_tokens: 4, top_p: 3 }),
      (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && e.param === 'top_p' &&
        e.message.includes('top_p'));
  },

  async concurrentStreams() {
    // 16 at once: each is served to its end or refused with 429 and Retry-After; none hangs (the client's own
    // timeout and the test's would fail it).
    const one = async () => {
      try {
        const stream = await client.chat.completions.create({
          model: 'tsuku', messages: user('Count'), max_tokens: 16, stream: true,
        });
        let finish = null;
        for await (const chunk of stream) for (const c of chunk.choices) finish = c.finish_reason ?? finish;
        assert.ok(['stop', 'length'].includes(finish), String(finish));
        return 'served';
      } catch (e) {
        if (e instanceof OpenAI.RateLimitError) {
          assert.equal(e.status, 429);
          assert.ok(e.headers.get('retry-after'), 'a 429 says when to retry');
          return 'refused';
        }
        throw e;
      }
    };
    const results = await Promise.all(Array.from({ length: 16 }, one));
    const served = results.filter((r) => r === 'served').length;
    console.log(`   16 concurrent streams: ${served} served, ${16 - served} refused with 429`);
    assert.ok(served >= 1);
  },
};

const health = await waitReady();
console.log(`ready: ${health.backend} serves ${health.model}`);
for (const [name, check] of Object.entries(checks)) {
  await check();
  console.log(`ok ${name}`);
}
