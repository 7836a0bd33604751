'use client';

import type { Ref } from 'react';
import { SUBSPECIALTIES, type Priority, type Subspecialty } from '@/lib/types';

export interface OrderDraft {
  accessionNumber: string;
  priority: Priority | '';
  indication: string;
  subspecialty: Subspecialty | '';
}

export type OrderField = 'accessionNumber' | 'priority' | 'indication' | 'subspecialty';
export type FieldErrors = Partial<Record<OrderField | 'files' | 'form', string>>;

export const EMPTY_DRAFT: OrderDraft = { accessionNumber: '', priority: '', indication: '', subspecialty: '' };

export const ACCESSION_MAX = 16;
export const INDICATION_MAX = 2000;

const PRIORITIES: { value: Priority; label: string; hint: string }[] = [
  { value: 'STAT', label: 'STAT', hint: 'Life-threatening: stroke, trauma, PE. Read within minutes.' },
  { value: 'URGENT', label: 'URGENT', hint: 'Read within hours.' },
  { value: 'ROUTINE', label: 'ROUTINE', hint: 'Read within the day.' },
];

/** Checks the draft the way the API will, with messages that say what to do. */
export function validateDraft(d: OrderDraft): FieldErrors {
  const e: FieldErrors = {};
  const accession = d.accessionNumber.trim();
  if (!accession) e.accessionNumber = 'Enter the accession number (the order number from your RIS).';
  else if (accession.length > ACCESSION_MAX) e.accessionNumber = `At most ${ACCESSION_MAX} characters; this one has ${accession.length}.`;
  else if (/[\\\u0000-\u001f]/.test(accession)) e.accessionNumber = 'Backslashes and control characters are not allowed.';
  if (!d.priority) e.priority = 'Choose the priority.';
  const indication = d.indication.trim();
  if (!indication) e.indication = 'Enter the clinical indication: what the radiologist should look for.';
  else if (indication.length > INDICATION_MAX) e.indication = `At most ${INDICATION_MAX} characters; this one has ${indication.length}.`;
  return e;
}

const SERVER_FIELDS: Record<string, OrderField> = {
  accessionNumber: 'accessionNumber',
  priority: 'priority',
  indication: 'indication',
  requestedSubspecialty: 'subspecialty',
};

/** The API's 400 messages ("accessionNumber: must be …") → errors per field; the rest → form. */
export function serverFieldErrors(messages: string | string[] | undefined, fallback: string): FieldErrors {
  const list = Array.isArray(messages) ? messages : messages ? [messages] : [];
  const e: FieldErrors = {};
  const other: string[] = [];
  for (const m of list) {
    const match = /^([A-Za-z]+)(?:\.[\w.]+)?: (.+)$/.exec(m);
    const field = match ? SERVER_FIELDS[match[1]] : undefined;
    if (field && match) {
      const text = match[2].charAt(0).toUpperCase() + match[2].slice(1);
      e[field] = e[field] ? `${e[field]} ${text}` : text;
    } else other.push(m);
  }
  if (other.length || Object.keys(e).length === 0) e.form = other.join('; ') || fallback;
  return e;
}

interface Props {
  draft: OrderDraft;
  onChange: (patch: Partial<OrderDraft>) => void;
  errors: FieldErrors;
  disabled?: boolean;
  /** Accession number carried by the images, if they agree on one. */
  imageAccession?: string;
  refs: {
    accessionNumber: Ref<HTMLInputElement>;
    priority: Ref<HTMLInputElement>;
    indication: Ref<HTMLTextAreaElement>;
    subspecialty: Ref<HTMLSelectElement>;
  };
}

function FieldError({ id, message }: { id: string; message?: string }) {
  if (!message) return null;
  return (
    <p className="field-error" id={id} data-testid={`${id}`}>
      {message}
    </p>
  );
}

export function OrderFields({ draft, onChange, errors, disabled, imageAccession, refs }: Props) {
  const typed = draft.accessionNumber.trim();
  return (
    <fieldset className="order-fields" disabled={disabled}>
      <legend className="visually-hidden">Order</legend>

      <div className="field">
        <label htmlFor="order-accession">Accession number</label>
        <input
          id="order-accession"
          name="accessionNumber"
          ref={refs.accessionNumber}
          data-testid="order-accession"
          value={draft.accessionNumber}
          onChange={(e) => onChange({ accessionNumber: e.target.value })}
          autoComplete="off"
          spellCheck={false}
          maxLength={64}
          required
          aria-required="true"
          aria-invalid={Boolean(errors.accessionNumber)}
          aria-describedby={`accession-help${errors.accessionNumber ? ' accession-error' : ''}`}
          className="mono"
        />
        <p className="field-help muted small" id="accession-help">
          {imageAccession && typed === imageAccession
            ? 'Taken from the images. Up to 16 characters.'
            : imageAccession && typed
              ? `The images carry accession number ${imageAccession}. The order is tied to these images by their study UID either way.`
              : 'The order number from your RIS. Up to 16 characters.'}
        </p>
        <FieldError id="accession-error" message={errors.accessionNumber} />
      </div>

      <fieldset
        className="field priority-group"
        data-testid="order-priority"
        role="radiogroup"
        aria-required="true"
        aria-invalid={Boolean(errors.priority)}
        aria-describedby={errors.priority ? 'priority-error' : undefined}
      >
        <legend>Priority</legend>
        <div className="priority-options">
          {PRIORITIES.map((p, i) => (
            <label key={p.value} className={`priority-option priority-${p.value.toLowerCase()}`}>
              <input
                type="radio"
                name="priority"
                value={p.value}
                ref={i === 0 ? refs.priority : undefined}
                checked={draft.priority === p.value}
                onChange={() => onChange({ priority: p.value })}
                aria-describedby={`priority-hint-${p.value}`}
              />
              <span className="priority-label">{p.label}</span>
              <span className="priority-hint" id={`priority-hint-${p.value}`}>
                {p.hint}
              </span>
            </label>
          ))}
        </div>
        <FieldError id="priority-error" message={errors.priority} />
      </fieldset>

      <div className="field">
        <label htmlFor="order-indication">Clinical indication</label>
        <textarea
          id="order-indication"
          name="indication"
          ref={refs.indication}
          data-testid="order-indication"
          value={draft.indication}
          onChange={(e) => onChange({ indication: e.target.value })}
          rows={3}
          required
          aria-required="true"
          aria-invalid={Boolean(errors.indication)}
          aria-describedby={errors.indication ? 'indication-error' : undefined}
          placeholder="e.g. Sudden left-sided weakness since 02:10, rule out stroke"
        />
        <FieldError id="indication-error" message={errors.indication} />
      </div>

      <div className="field">
        <label htmlFor="order-subspecialty">
          Requested subspecialty <span className="muted small">(optional)</span>
        </label>
        <select
          id="order-subspecialty"
          name="requestedSubspecialty"
          ref={refs.subspecialty}
          data-testid="order-subspecialty"
          value={draft.subspecialty}
          onChange={(e) => onChange({ subspecialty: e.target.value as Subspecialty | '' })}
          aria-invalid={Boolean(errors.subspecialty)}
          aria-describedby={errors.subspecialty ? 'subspecialty-error' : undefined}
        >
          <option value="">Not specified (routed by study type)</option>
          {SUBSPECIALTIES.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
        <FieldError id="subspecialty-error" message={errors.subspecialty} />
      </div>
    </fieldset>
  );
}
