'use client';

import { useState, type FormEvent } from 'react';
import { api } from '@/lib/api';
import { SUBSPECIALTIES, type Hospital, type Priority, type Subspecialty, type UpdateHospital } from '@/lib/types';
import { FormStatus, splitList, useSubmit } from './forms';

const PRIORITIES: readonly Priority[] = ['STAT', 'URGENT', 'ROUTINE'];
const SLA_FIELDS = [
  { key: 'slaStatMinutes', label: 'STAT', max: 24 * 60 },
  { key: 'slaUrgentMinutes', label: 'Urgent', max: 7 * 24 * 60 },
  { key: 'slaRoutineMinutes', label: 'Routine', max: 30 * 24 * 60 },
] as const;

const shortLabel = (s: Subspecialty) => SUBSPECIALTIES.find((o) => o.value === s)?.short ?? s;

/** How a hospital's cases reach readers, in a few words for the hospitals table. */
export function assignmentSummary(h: Hospital): string {
  const parts = [h.requireNextCase ? 'Next case only' : 'Readers pick'];
  if (h.autoAssign) {
    parts.push(`auto-assign ${h.autoAssignSubspecialties.length ? h.autoAssignSubspecialties.map(shortLabel).join(', ') : 'all'}`);
  }
  return parts.join(' · ');
}

function formOf(h: Hospital) {
  return {
    name: h.name,
    timezone: h.timezone,
    aeTitles: h.aeTitles.join(', '),
    slaStatMinutes: String(h.slaStatMinutes),
    slaUrgentMinutes: String(h.slaUrgentMinutes),
    slaRoutineMinutes: String(h.slaRoutineMinutes),
    defaultPriority: h.defaultPriority,
    requireNextCase: h.requireNextCase,
    autoAssign: h.autoAssign,
    autoAssignSubspecialties: h.autoAssignSubspecialties,
  };
}

/** A hospital's turnaround targets and assignment settings (PATCH /api/hospitals/:id). */
export function HospitalSettingsForm({ hospital, onSaved, onCancel }: { hospital: Hospital; onSaved: (h: Hospital) => void; onCancel: () => void }) {
  const [form, setForm] = useState(() => formOf(hospital));
  const submit = useSubmit();
  const prefix = `hospital-${hospital.id}`;

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    const body: UpdateHospital = {
      name: form.name.trim(),
      timezone: form.timezone.trim(),
      aeTitles: splitList(form.aeTitles),
      slaStatMinutes: Number(form.slaStatMinutes),
      slaUrgentMinutes: Number(form.slaUrgentMinutes),
      slaRoutineMinutes: Number(form.slaRoutineMinutes),
      defaultPriority: form.defaultPriority,
      requireNextCase: form.requireNextCase,
      autoAssign: form.autoAssign,
      autoAssignSubspecialties: form.autoAssignSubspecialties,
    };
    void submit.run(async () => {
      const saved = await api.updateHospital(hospital.id, body);
      setForm(formOf(saved));
      onSaved(saved);
      return 'Settings saved. New turnaround targets apply to cases that arrive from now on.';
    });
  };
  const text = (k: 'name' | 'timezone' | 'aeTitles' | (typeof SLA_FIELDS)[number]['key']) => ({
    id: `${prefix}-${k}`,
    name: k,
    value: form[k],
    autoComplete: 'off',
    onChange: (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value })),
  });
  const toggleSubspecialty = (s: Subspecialty, on: boolean) =>
    setForm((f) => ({
      ...f,
      autoAssignSubspecialties: on ? SUBSPECIALTIES.map((o) => o.value).filter((v) => v === s || f.autoAssignSubspecialties.includes(v)) : f.autoAssignSubspecialties.filter((v) => v !== s),
    }));

  return (
    <form className="card form-grid" onSubmit={onSubmit} aria-labelledby={`${prefix}-title`} data-testid="hospital-settings">
      <h2 id={`${prefix}-title`}>Settings of {hospital.name}</h2>
      <label htmlFor={`${prefix}-name`}>Name</label>
      <input {...text('name')} required maxLength={200} />
      <label htmlFor={`${prefix}-timezone`}>Time zone</label>
      <input {...text('timezone')} required placeholder="IANA zone, e.g. America/Chicago" />
      <label htmlFor={`${prefix}-aeTitles`}>AE titles</label>
      <input {...text('aeTitles')} placeholder="comma separated, e.g. CT01, MR_WEST" />
      {SLA_FIELDS.map((f) => (
        <SlaField key={f.key} label={f.label} max={f.max} input={text(f.key)} />
      ))}
      <label htmlFor={`${prefix}-defaultPriority`}>Without an order</label>
      <select
        id={`${prefix}-defaultPriority`}
        name="defaultPriority"
        value={form.defaultPriority}
        onChange={(e) => setForm((f) => ({ ...f, defaultPriority: e.target.value as Priority }))}
      >
        {PRIORITIES.map((p) => (
          <option key={p} value={p}>
            {p}
          </option>
        ))}
      </select>
      <label htmlFor={`${prefix}-requireNextCase`}>Next case only</label>
      <span>
        <input
          id={`${prefix}-requireNextCase`}
          name="requireNextCase"
          type="checkbox"
          checked={form.requireNextCase}
          onChange={(e) => setForm((f) => ({ ...f, requireNextCase: e.target.checked }))}
        />{' '}
        <span className="muted small">readers take this hospital&apos;s cases in order, through “Next case”</span>
      </span>
      <label htmlFor={`${prefix}-autoAssign`}>Auto-assign</label>
      <span>
        <input
          id={`${prefix}-autoAssign`}
          name="autoAssign"
          type="checkbox"
          checked={form.autoAssign}
          onChange={(e) => setForm((f) => ({ ...f, autoAssign: e.target.checked }))}
        />{' '}
        <span className="muted small">offer each new case to the least-loaded eligible reader on shift</span>
      </span>
      <span id={`${prefix}-only-label`}>Auto-assign only</span>
      <fieldset
        aria-labelledby={`${prefix}-only-label`}
        disabled={!form.autoAssign}
        style={{ border: 0, padding: 0, margin: 0, display: 'flex', flexWrap: 'wrap', gap: '0.25rem 1rem' }}
        data-testid="auto-assign-subspecialties"
      >
        {SUBSPECIALTIES.map((o) => (
          <label key={o.value} className="nowrap small">
            <input
              type="checkbox"
              name="autoAssignSubspecialties"
              value={o.value}
              checked={form.autoAssignSubspecialties.includes(o.value)}
              onChange={(e) => toggleSubspecialty(o.value, e.target.checked)}
            />{' '}
            {o.short}
          </label>
        ))}
        <span className="muted small">{form.autoAssignSubspecialties.length ? '' : 'none ticked: every subspecialty'}</span>
      </fieldset>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary nowrap" disabled={submit.busy}>
          {submit.busy ? 'Saving…' : 'Save settings'}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          Close
        </button>
        <FormStatus state={submit} />
      </div>
    </form>
  );
}

function SlaField({ label, max, input }: { label: string; max: number; input: { id: string; name: string; value: string; onChange: (e: { target: { value: string } }) => void } }) {
  return (
    <>
      <label htmlFor={input.id}>{label} turnaround</label>
      <span>
        <input {...input} type="number" min={1} max={max} step={1} required style={{ width: '7rem' }} /> <span className="muted small">minutes from images received</span>
      </span>
    </>
  );
}
