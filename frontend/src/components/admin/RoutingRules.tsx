'use client';

import { useState, type FormEvent } from 'react';
import { ApiErrorView } from '@/components/ApiErrorView';
import { errorMessage } from '@/lib/api';
import { useApiResource } from '@/lib/hooks';
import { routingApi, type RoutingDecision, type RoutingRuleInput as RuleInput, type RoutingRuleView as RoutingRule } from '@/lib/routing';
import { SUBSPECIALTIES, type Subspecialty } from '@/lib/types';
import { FormStatus, splitList, useSubmit } from './forms';

const subspecialtyLabel = (s: string) => SUBSPECIALTIES.find((o) => o.value === s)?.label ?? s;

/** A rule's conditions in one line, as the reader sees them in routing reasons. */
function conditions(r: RoutingRule): string {
  const parts: string[] = [];
  if (r.modalities.length) parts.push(`modality ${r.modalities.join(' / ')}`);
  if (r.bodyPartPattern) parts.push(`body part ~ ${r.bodyPartPattern}`);
  if (r.descriptionPattern) parts.push(`description ~ ${r.descriptionPattern}`);
  if (r.procedureCodePattern) parts.push(`procedure code ~ ${r.procedureCodePattern}`);
  const { minPatientAgeYears: min, maxPatientAgeYears: max } = r;
  if (min !== null && max !== null) parts.push(`age ${min}–${max}`);
  else if (min !== null) parts.push(`age ≥ ${min}`);
  else if (max !== null) parts.push(`age ≤ ${max}`);
  return parts.join(' · ') || 'every study';
}

/** Admin page body: the network's routing rules in evaluation order, editing, and "test a study". */
export function RoutingRules() {
  const rules = useApiResource('routing-rules', (signal) => routingApi.list({ signal }));
  const [editing, setEditing] = useState<RoutingRule | 'new' | null>(null);
  const [busyId, setBusyId] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [matchedId, setMatchedId] = useState<string | null>(null);
  const list = rules.data ?? [];

  /** One row action at a time; the list is reloaded afterwards whatever happened. */
  const act = async (id: string, action: () => Promise<unknown>) => {
    setBusyId(id);
    setActionError(null);
    try {
      await action();
    } catch (err) {
      setActionError(errorMessage(err));
    } finally {
      setBusyId(null);
      rules.reload();
    }
  };

  const remove = (r: RoutingRule) => {
    if (window.confirm(`Delete the rule “${r.name}”?`)) void act(r.id, () => routingApi.remove(r.id));
  };
  const reset = () => {
    if (window.confirm('Replace every rule with the default set? Your changes are lost.')) void act('reset', () => routingApi.resetDefaults());
  };

  return (
    <>
      <p className="muted">
        Each new study goes to the subspecialty its order requests; otherwise to the first enabled rule, in this order, whose every
        condition matches; otherwise to a general read. Patterns are case-insensitive regular expressions; readers see which rule
        routed each case.
      </p>
      <TestStudy onResult={setMatchedId} />
      <div style={{ display: 'flex', gap: '0.5rem' }}>
        <button type="button" className="btn btn-primary" onClick={() => setEditing('new')} disabled={editing === 'new'} data-testid="add-rule">
          Add rule
        </button>
        <button type="button" className="btn" onClick={reset} disabled={busyId !== null} data-testid="reset-defaults">
          Reset to defaults
        </button>
      </div>
      {editing === 'new' && <RuleForm count={list.length} onDone={() => { setEditing(null); rules.reload(); }} onCancel={() => setEditing(null)} />}
      {actionError && (
        <div className="alert alert-error" role="alert" data-testid="rule-action-error">
          <strong>{actionError}</strong>
        </div>
      )}
      <ApiErrorView error={rules.error} onRetry={rules.reload} />
      {rules.data && (
        <div className="table-wrap">
          <table className="table" data-testid="routing-rules">
            <thead>
              <tr>
                <th className="num">#</th>
                <th>Rule</th>
                <th>Subspecialty</th>
                <th>When</th>
                <th>Enabled</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.map((r, i) =>
                editing !== 'new' && editing?.id === r.id ? (
                  <tr key={r.id}>
                    <td colSpan={6}>
                      <RuleForm rule={r} count={list.length} onDone={() => { setEditing(null); rules.reload(); }} onCancel={() => setEditing(null)} />
                    </td>
                  </tr>
                ) : (
                  <tr
                    key={r.id}
                    data-testid="rule-row"
                    data-id={r.id}
                    className={[r.id === matchedId ? 'row-highlight' : '', r.enabled ? '' : 'muted'].join(' ').trim() || undefined}
                  >
                    <td className="num">{r.rank}</td>
                    <td className="strong">{r.name}</td>
                    <td>{subspecialtyLabel(r.subspecialty)}</td>
                    <td className="mono small" style={{ wordBreak: 'break-all', minWidth: '16rem' }}>
                      {conditions(r)}
                    </td>
                    <td>
                      <input
                        type="checkbox"
                        checked={r.enabled}
                        disabled={busyId !== null}
                        aria-label={`${r.enabled ? 'Disable' : 'Enable'} “${r.name}”`}
                        onChange={() => void act(r.id, () => routingApi.update(r.id, { enabled: !r.enabled }))}
                      />
                    </td>
                    <td className="nowrap">
                      <button type="button" className="btn btn-small btn-ghost" aria-label={`Move “${r.name}” up`} disabled={i === 0 || busyId !== null} onClick={() => void act(r.id, () => routingApi.update(r.id, { rank: r.rank - 1 }))}>
                        ↑
                      </button>{' '}
                      <button type="button" className="btn btn-small btn-ghost" aria-label={`Move “${r.name}” down`} disabled={i === list.length - 1 || busyId !== null} onClick={() => void act(r.id, () => routingApi.update(r.id, { rank: r.rank + 1 }))}>
                        ↓
                      </button>{' '}
                      <button type="button" className="btn btn-small" disabled={busyId !== null} onClick={() => setEditing(r)}>
                        Edit
                      </button>{' '}
                      <button type="button" className="btn btn-small" disabled={busyId !== null} onClick={() => remove(r)}>
                        Delete
                      </button>
                    </td>
                  </tr>
                ),
              )}
            </tbody>
          </table>
          {list.length === 0 && <p className="empty">No rules.</p>}
        </div>
      )}
    </>
  );
}

const ageValue = (s: string) => (s.trim() === '' ? null : Number(s));

function RuleForm({ rule, count, onDone, onCancel }: { rule?: RoutingRule; count: number; onDone: () => void; onCancel: () => void }) {
  const [form, setForm] = useState({
    name: rule?.name ?? '',
    subspecialty: rule?.subspecialty ?? ('NEURO' as Subspecialty),
    modalities: rule?.modalities.join(', ') ?? '',
    bodyPartPattern: rule?.bodyPartPattern ?? '',
    descriptionPattern: rule?.descriptionPattern ?? '',
    procedureCodePattern: rule?.procedureCodePattern ?? '',
    minPatientAgeYears: rule?.minPatientAgeYears?.toString() ?? '',
    maxPatientAgeYears: rule?.maxPatientAgeYears?.toString() ?? '',
    rank: String(rule?.rank ?? count + 1),
    enabled: rule?.enabled ?? true,
  });
  const submit = useSubmit();
  const prefix = rule ? `rule-${rule.id}` : 'rule-new';

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const body: RuleInput = {
      name: form.name.trim(),
      subspecialty: form.subspecialty,
      modalities: splitList(form.modalities),
      bodyPartPattern: form.bodyPartPattern.trim() || null,
      descriptionPattern: form.descriptionPattern.trim() || null,
      procedureCodePattern: form.procedureCodePattern.trim() || null,
      minPatientAgeYears: ageValue(form.minPatientAgeYears),
      maxPatientAgeYears: ageValue(form.maxPatientAgeYears),
      enabled: form.enabled,
      rank: Number(form.rank),
    };
    void submit.run(async () => {
      if (rule) await routingApi.update(rule.id, body);
      else await routingApi.create(body);
      onDone();
      return rule ? 'Rule saved.' : 'Rule added.';
    });
  };
  const text = (k: Exclude<keyof typeof form, 'enabled' | 'subspecialty'>) => ({
    id: `${prefix}-${k}`,
    name: k,
    value: form[k],
    autoComplete: 'off',
    onChange: (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value })),
  });

  return (
    <form className="card form-grid" onSubmit={onSubmit} aria-labelledby={`${prefix}-title`} data-testid="rule-form">
      <h2 id={`${prefix}-title`}>{rule ? `Edit “${rule.name}”` : 'New rule'}</h2>
      <label htmlFor={`${prefix}-name`}>Name</label>
      <input {...text('name')} required maxLength={100} placeholder="e.g. CT head" />
      <label htmlFor={`${prefix}-subspecialty`}>Route to</label>
      <select id={`${prefix}-subspecialty`} name="subspecialty" value={form.subspecialty} onChange={(e) => setForm((f) => ({ ...f, subspecialty: e.target.value as Subspecialty }))}>
        {SUBSPECIALTIES.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      <label htmlFor={`${prefix}-modalities`}>Modalities</label>
      <input {...text('modalities')} placeholder="any of, comma separated, e.g. CT, MR (empty = any)" />
      <label htmlFor={`${prefix}-bodyPartPattern`}>Body part</label>
      <input {...text('bodyPartPattern')} className="mono" placeholder="regular expression, e.g. ^(HEAD|BRAIN)$" />
      <label htmlFor={`${prefix}-descriptionPattern`}>Study description</label>
      <input {...text('descriptionPattern')} className="mono" placeholder="regular expression, e.g. \bHEAD\b" />
      <label htmlFor={`${prefix}-procedureCodePattern`}>Procedure code</label>
      <input {...text('procedureCodePattern')} className="mono" placeholder="regular expression on code values and meanings" />
      <label htmlFor={`${prefix}-minPatientAgeYears`}>Patient age (years)</label>
      <span>
        <input {...text('minPatientAgeYears')} type="number" min={0} max={150} placeholder="from" aria-label="Minimum patient age" style={{ width: '6rem' }} />{' '}
        –{' '}
        <input {...text('maxPatientAgeYears')} type="number" min={0} max={150} placeholder="to" aria-label="Maximum patient age" style={{ width: '6rem' }} />
      </span>
      <label htmlFor={`${prefix}-rank`}>Position</label>
      <input {...text('rank')} type="number" min={1} max={count + (rule ? 0 : 1)} required style={{ width: '6rem' }} />
      <label htmlFor={`${prefix}-enabled`}>Enabled</label>
      <input id={`${prefix}-enabled`} type="checkbox" checked={form.enabled} onChange={(e) => setForm((f) => ({ ...f, enabled: e.target.checked }))} style={{ justifySelf: 'start' }} />
      <div className="form-actions">
        <button type="submit" className="btn btn-primary nowrap" disabled={submit.busy}>
          {submit.busy ? 'Saving…' : rule ? 'Save rule' : 'Add rule'}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          Cancel
        </button>
        <FormStatus state={submit} />
      </div>
    </form>
  );
}

/** "Test a study": which rule the current rules pick for these attributes, and why (the row is highlighted). */
function TestStudy({ onResult }: { onResult: (ruleId: string | null) => void }) {
  const [form, setForm] = useState({ modalities: 'CT', bodyPart: 'HEAD', description: 'CT HEAD WITHOUT CONTRAST', procedureCodes: '', age: '', requested: '' });
  const [result, setResult] = useState<RoutingDecision | null>(null);
  const submit = useSubmit();

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit.run(async () => {
      const decision = await routingApi.test({
        modalities: splitList(form.modalities),
        bodyPart: form.bodyPart.trim() || null,
        description: form.description.trim() || null,
        procedureCodes: splitList(form.procedureCodes),
        ...(form.age.trim() ? { patientAgeYears: Number(form.age) } : {}),
        requestedSubspecialty: (form.requested || null) as Subspecialty | null,
      });
      setResult(decision);
      onResult(decision.ruleId);
      return '';
    });
  };
  const field = (k: Exclude<keyof typeof form, 'requested'>) => ({
    id: `test-${k}`,
    name: k,
    value: form[k],
    autoComplete: 'off',
    onChange: (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value })),
  });

  return (
    <form className="card" onSubmit={onSubmit} aria-labelledby="test-study" data-testid="test-study">
      <h2 id="test-study">Test a study</h2>
      <div className="filters">
        <label>
          Modalities
          <input {...field('modalities')} placeholder="CT, MR" style={{ width: '7rem' }} />
        </label>
        <label>
          Body part
          <input {...field('bodyPart')} placeholder="HEAD" style={{ width: '8rem' }} />
        </label>
        <label>
          Study description
          <input {...field('description')} placeholder="CT HEAD WITHOUT CONTRAST" style={{ width: '18rem' }} />
        </label>
        <label>
          Procedure codes
          <input {...field('procedureCodes')} placeholder="70450, …" style={{ width: '9rem' }} />
        </label>
        <label>
          Patient age
          <input {...field('age')} type="number" min={0} max={150} placeholder="years" style={{ width: '6rem' }} />
        </label>
        <label>
          Order requests
          <select id="test-requested" name="requested" value={form.requested} onChange={(e) => setForm((f) => ({ ...f, requested: e.target.value }))}>
            <option value="">nothing</option>
            {SUBSPECIALTIES.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="btn btn-primary" disabled={submit.busy}>
          {submit.busy ? 'Testing…' : 'Test'}
        </button>
      </div>
      {submit.error ? (
        <p className="form-error" role="alert">
          {submit.error}
        </p>
      ) : (
        result && (
          <p role="status" data-testid="test-result">
            Routed to <strong>{subspecialtyLabel(result.subspecialty)}</strong>: <span className="mono">{result.reason}</span>
          </p>
        )
      )}
    </form>
  );
}
