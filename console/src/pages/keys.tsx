import { useEffect, useState } from 'preact/hooks';
import { ApiError, call } from '../api.js';
import type { Caller } from '../caller.js';
import { Field, Notice, UsageBar } from '../components.js';
import { usd, when } from '../format.js';
import type { Budget, KeyRecord } from '../types.js';

type Period = KeyRecord['budgetPeriod'];

/** The key fields the forms edit, as text the way a person types them. */
interface KeyForm {
  name: string;
  budgetUsd: string;
  budgetPeriod: Period;
  user: string;
  tags: string;
  models: string;
  rpm: string;
  tpm: string;
  expiresAt: string;
}

const emptyForm = (): KeyForm => ({ name: '', budgetUsd: '', budgetPeriod: 'month', user: '', tags: '', models: '', rpm: '', tpm: '', expiresAt: '' });

function formOf(record: KeyRecord): KeyForm {
  return {
    name: record.name,
    budgetUsd: record.budgetUsd === null ? '' : String(record.budgetUsd),
    budgetPeriod: record.budgetPeriod,
    user: record.user ?? '',
    tags: record.tags.join(', '),
    models: record.models?.join(', ') ?? '',
    rpm: record.rpm === null ? '' : String(record.rpm),
    tpm: record.tpm === null ? '' : String(record.tpm),
    expiresAt: record.expiresAt ? record.expiresAt.slice(0, 10) : '',
  };
}

const list = (text: string) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** The form → the admin API's fields; an emptied field clears its limit (null) when editing. */
function fieldsOf(form: KeyForm, editing: boolean): Record<string, unknown> {
  const cleared = editing ? null : undefined;
  const number = (text: string) => (text.trim() === '' ? cleared : Number(text));
  const fields: Record<string, unknown> = {
    name: form.name.trim(),
    budgetUsd: number(form.budgetUsd),
    budgetPeriod: form.budgetPeriod,
    user: form.user.trim() || cleared,
    tags: list(form.tags),
    models: list(form.models).length ? list(form.models) : cleared,
    rpm: number(form.rpm),
    tpm: number(form.tpm),
    expiresAt: form.expiresAt ? new Date(`${form.expiresAt}T00:00:00Z`).toISOString() : cleared,
  };
  for (const name of Object.keys(fields)) if (fields[name] === undefined) delete fields[name];
  return fields;
}

export function KeysPage({ caller }: { caller: Caller }) {
  const [budgets, setBudgets] = useState<Budget[] | null>(null);
  const [keys, setKeys] = useState<KeyRecord[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<string | null>(null);
  const admin = caller.kind === 'admin';

  const reload = () => {
    setError(null);
    call<{ data: Budget[] }>('/v1/budgets')
      .then((body) => setBudgets(body.data))
      .catch((failure: Error) => setError(failure.message));
    if (admin) {
      call<{ data: KeyRecord[] }>('/v1/admin/keys')
        .then((body) => setKeys(body.data))
        .catch((failure: Error) => setError(failure.message));
    }
  };
  useEffect(reload, []);

  const keyBudget = (record: KeyRecord) => budgets?.find((budget) => budget.scope === 'key' && budget.scope_id === record.name);

  const revoke = async (record: KeyRecord) => {
    try {
      await call(`/v1/admin/keys/${encodeURIComponent(record.id)}`, { method: 'DELETE' });
      setRevoking(null);
      reload();
    } catch (failure) {
      setError((failure as Error).message);
    }
  };

  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title">Keys and budgets</h1>
      {error && <Notice kind="error">{error}</Notice>}
      {admin && (
        <>
          <KeyEditor
            title="Create a key"
            submitLabel="Create key"
            initial={emptyForm()}
            onSubmit={async (form) => {
              const body = await call<{ key: string; name: string }>('/v1/admin/keys', { method: 'POST', body: fieldsOf(form, false) });
              setCreated({ name: body.name, key: body.key });
              reload();
            }}
          />
          {created && (
            <div class="card created" data-testid="created-key">
              <p>
                Key <strong>{created.name}</strong> created. Copy it now: it is not shown again.
              </p>
              <code class="secret">{created.key}</code>
              <div class="actions">
                <button type="button" class="secondary" onClick={() => void navigator.clipboard?.writeText(created.key)}>
                  Copy
                </button>
                <button type="button" class="link" onClick={() => setCreated(null)}>
                  Done
                </button>
              </div>
            </div>
          )}
          <div class="card">
            <h2>Keys</h2>
            {keys === null ? (
              <p class="muted">Loading…</p>
            ) : keys.length === 0 ? (
              <p class="muted">No keys yet.</p>
            ) : (
              <table data-testid="keys-table">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Key</th>
                    <th>User / tags</th>
                    <th>Limits</th>
                    <th class="budget">Budget</th>
                    <th>Expires</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {keys.map((record) => {
                    const budget = keyBudget(record);
                    return (
                      <tr key={record.id} data-key-name={record.name}>
                        <td>
                          <strong>{record.name}</strong>
                        </td>
                        <td class="mono">{record.prefix}…</td>
                        <td>
                          {record.user ?? '—'} {record.tags.length > 0 && <span class="muted">[{record.tags.join(', ')}]</span>}
                        </td>
                        <td class="small">
                          {record.models ? record.models.join(', ') : 'all models'}
                          {record.rpm !== null && ` · ${record.rpm} rpm`}
                          {record.tpm !== null && ` · ${record.tpm} tpm`}
                        </td>
                        <td class="budget">{budget ? <BudgetUse budget={budget} /> : record.budgetUsd === null ? <span class="muted">none</span> : `${usd(record.budgetUsd)} / ${record.budgetPeriod}`}</td>
                        <td>{when(record.expiresAt)}</td>
                        <td class="row-actions">
                          {editing === record.id ? null : (
                            <button type="button" class="secondary" onClick={() => setEditing(record.id)}>
                              Edit
                            </button>
                          )}
                          {revoking === record.id ? (
                            <>
                              <button type="button" class="danger" onClick={() => void revoke(record)}>
                                Confirm revoke
                              </button>
                              <button type="button" class="link" onClick={() => setRevoking(null)}>
                                Cancel
                              </button>
                            </>
                          ) : (
                            <button type="button" class="danger-outline" onClick={() => setRevoking(record.id)}>
                              Revoke
                            </button>
                          )}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            )}
          </div>
          {editing && keys?.find((record) => record.id === editing) && (
            <KeyEditor
              key={editing}
              title={`Edit ${keys.find((record) => record.id === editing)!.name}`}
              submitLabel="Save"
              initial={formOf(keys.find((record) => record.id === editing)!)}
              onCancel={() => setEditing(null)}
              onSubmit={async (form) => {
                await call(`/v1/admin/keys/${encodeURIComponent(editing)}`, { method: 'PATCH', body: fieldsOf(form, true) });
                setEditing(null);
                reload();
              }}
            />
          )}
        </>
      )}
      {caller.kind === 'open' && (
        <Notice>Managing keys needs the admin key: start the gateway with TOLLGATE_ADMIN_KEY set, then log in with it.</Notice>
      )}
      <div class="card">
        <h2>{admin || caller.kind === 'open' ? 'Budgets' : 'Your budgets'}</h2>
        {budgets === null ? (
          <p class="muted">Loading…</p>
        ) : budgets.length === 0 ? (
          <p class="muted">No budget applies{admin || caller.kind === 'open' ? ' (none in the config, no key with one)' : ' to this key'}.</p>
        ) : (
          <table data-testid="budgets-table">
            <thead>
              <tr>
                <th>Scope</th>
                <th>Period</th>
                <th class="budget">Used of limit, and when it resets (UTC)</th>
              </tr>
            </thead>
            <tbody>
              {budgets.map((budget) => (
                <tr key={`${budget.scope}:${budget.scope_id}:${budget.period}`}>
                  <td>
                    {budget.scope} <strong>{budget.scope_id}</strong>
                  </td>
                  <td>{budget.period}</td>
                  <td class="budget">
                    <BudgetUse budget={budget} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}

function BudgetUse({ budget }: { budget: Budget }) {
  const used = Number(budget.used);
  const limit = Number(budget.limit);
  return (
    <div class="budget-use">
      <UsageBar used={used} reserved={Number(budget.reserved)} limit={limit} label={`${budget.scope} ${budget.scope_id} budget`} />
      <span class="small">
        {usd(used)} of {usd(limit)}
        <span class="muted"> · {budget.resets_at ? `resets ${when(budget.resets_at)}` : 'never resets'}</span>
      </span>
    </div>
  );
}

function KeyEditor({
  title,
  submitLabel,
  initial,
  onSubmit,
  onCancel,
}: {
  title: string;
  submitLabel: string;
  initial: KeyForm;
  onSubmit: (form: KeyForm) => Promise<void>;
  onCancel?: () => void;
}) {
  const [form, setForm] = useState<KeyForm>(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const set = (name: keyof KeyForm) => (event: Event) => setForm({ ...form, [name]: (event.target as HTMLInputElement).value });
  const id = title.replace(/\W+/g, '-').toLowerCase();

  return (
    <form
      class="card key-form"
      aria-labelledby={id}
      onSubmit={async (event) => {
        event.preventDefault();
        setBusy(true);
        setError(null);
        try {
          await onSubmit(form);
          if (!onCancel) setForm(emptyForm());
        } catch (failure) {
          setError(failure instanceof ApiError ? failure.message : String(failure));
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2 id={id}>{title}</h2>
      <div class="filters">
        <Field label="Name">
          <input name="name" required value={form.name} onInput={set('name')} />
        </Field>
        <Field label="Budget (USD)">
          <input name="budgetUsd" type="number" min="0" step="any" value={form.budgetUsd} onInput={set('budgetUsd')} />
        </Field>
        <Field label="Per">
          <select name="budgetPeriod" value={form.budgetPeriod} onChange={set('budgetPeriod')}>
            <option value="day">day</option>
            <option value="week">week</option>
            <option value="month">month</option>
            <option value="total">total</option>
          </select>
        </Field>
        <Field label="User">
          <input name="user" value={form.user} onInput={set('user')} />
        </Field>
        <Field label="Tags">
          <input name="tags" placeholder="a, b" value={form.tags} onInput={set('tags')} />
        </Field>
        <Field label="Models">
          <input name="models" placeholder="openai/*, !openai/o1*" value={form.models} onInput={set('models')} />
        </Field>
        <Field label="Requests / min">
          <input name="rpm" type="number" min="1" step="1" value={form.rpm} onInput={set('rpm')} />
        </Field>
        <Field label="Tokens / min">
          <input name="tpm" type="number" min="1" step="1" value={form.tpm} onInput={set('tpm')} />
        </Field>
        <Field label="Expires (UTC day)">
          <input name="expiresAt" type="date" value={form.expiresAt} onInput={set('expiresAt')} />
        </Field>
      </div>
      {error && <Notice kind="error">{error}</Notice>}
      <div class="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : submitLabel}
        </button>
        {onCancel && (
          <button type="button" class="link" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
