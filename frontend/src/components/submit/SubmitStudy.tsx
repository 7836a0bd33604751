'use client';

import Link from 'next/link';
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, errorMessage } from '@/lib/api';
import { useAuth } from '@/lib/auth';
import type { Picked } from '@/lib/file-drop';
import { formatBytes, formatDicomDate, formatPersonName } from '@/lib/format';
import { SUBSPECIALTIES, type CreateOrder } from '@/lib/types';
import { WORKLIST_DELAY_NOTE, uploadStore, useUploadSnapshot, type StudyGroup, type SubmittedOrder, type UploadSnapshot } from '@/lib/upload-store';
import { FilePicker } from './FilePicker';
import { FileTable } from './FileTable';
import { EMPTY_DRAFT, OrderFields, serverFieldErrors, validateDraft, type FieldErrors, type OrderDraft } from './OrderFields';

const UID = /^[0-9.]{1,64}$/;
const HEADER_WAIT_MS = 5_000;

function plural(n: number, one: string, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

// ---------------------------------------------------------------- what the images say

function StudyLine({ g }: { g: StudyGroup }) {
  const parts = [
    g.modalities.join('/'),
    g.description,
    g.studyDate ? formatDicomDate(g.studyDate) : undefined,
    g.accessionNumbers.length ? `accession ${g.accessionNumbers.join(', ')}` : 'no accession number',
  ].filter(Boolean);
  return (
    <li>
      <strong>{formatPersonName(g.patientName)}</strong>
      {g.patientId && <span className="mono"> · ID {g.patientId}</span>}
      <span className="muted"> · {parts.join(' · ')} · {plural(g.files, 'file')}</span>
    </li>
  );
}

function ImagesSummary({ s }: { s: UploadSnapshot }) {
  if (s.rows.length === 0) return null;
  const reading = s.headersRead < s.rows.length;
  const skipped = s.skipped.hidden + s.skipped.unreadable + s.skipped.duplicates;
  return (
    <div className="images-summary" data-testid="images-summary">
      <p className="images-total">
        <strong>{plural(s.rows.length, 'file')}</strong> <span className="muted">· {formatBytes(s.totalBytes)}</span>
        {reading && <span className="muted small"> · reading headers…</span>}
      </p>
      {s.studies.length > 0 && (
        <ul className="study-lines" aria-label="Studies in these files">
          {s.studies.map((g) => (
            <StudyLine key={g.studyInstanceUid} g={g} />
          ))}
        </ul>
      )}
      {s.studies.length > 1 && (
        <p className="alert alert-warn" role="note">
          These files belong to {s.studies.length} different studies. One order covers one study: the order will be matched by
          accession number only. Better submit each study on its own.
        </p>
      )}
      {s.notPart10 > 0 && (
        <p className="muted small">
          {s.notPart10 === 1 ? '1 file does not look like a DICOM file. It is' : `${s.notPart10} files do not look like DICOM files. They are`}{' '}
          sent anyway; the server says why if it refuses {s.notPart10 === 1 ? 'it' : 'them'}.
        </p>
      )}
      {skipped > 0 && (
        <p className="muted small">
          Left out:{' '}
          {[
            s.skipped.hidden && plural(s.skipped.hidden, 'hidden file'),
            s.skipped.duplicates && `${plural(s.skipped.duplicates, 'file')} added twice`,
            s.skipped.unreadable && `${plural(s.skipped.unreadable, 'entry', 'entries')} the browser could not read`,
          ]
            .filter(Boolean)
            .join(', ')}
          .
        </p>
      )}
    </div>
  );
}

// ---------------------------------------------------------------- the order once sent

function OrderSummary({ order }: { order: SubmittedOrder }) {
  const sub = SUBSPECIALTIES.find((x) => x.value === order.subspecialty)?.label;
  return (
    <div className="order-summary" data-testid="order-summary">
      <dl className="facts facts-inline">
        <dt>Accession</dt>
        <dd className="mono">{order.accessionNumber}</dd>
        {order.existing ? (
          <>
            <dt>Order</dt>
            <dd>
              <span className="form-warn">Existing order</span>: priority and indication as already on file.
            </dd>
          </>
        ) : (
          <>
            <dt>Priority</dt>
            <dd>
              <span className={`badge badge-${order.priority.toLowerCase()}`}>{order.priority}</span>
            </dd>
            <dt>Indication</dt>
            <dd className="pre-wrap">{order.indication}</dd>
            <dt>Subspecialty</dt>
            <dd>{sub ?? 'Not specified'}</dd>
          </>
        )}
      </dl>
      {!order.existing && (
        <p className="form-ok" role="status">
          ✓ Order created
        </p>
      )}
    </div>
  );
}

// ---------------------------------------------------------------- progress and outcome

function SubmitSummary({ s }: { s: UploadSnapshot }) {
  const { counts } = s;
  const total = s.rows.length;
  const finished = counts.stored + counts.duplicate + counts.rejected + counts.error;
  const ok = counts.stored + counts.duplicate;
  const pct = s.totalBytes ? Math.round((s.sentBytes / s.totalBytes) * 100) : 0;

  let headline: string;
  let tone: 'ok' | 'warn' | 'bad' | 'busy';
  if (!s.done) {
    headline = `Sending ${plural(total, 'file')}: ${finished} done`;
    tone = 'busy';
  } else if (ok === total) {
    headline = total === 1 ? 'The file is stored' : `All ${total} files stored`;
    tone = 'ok';
  } else if (ok === 0) {
    headline = counts.error ? 'Nothing was stored yet' : 'Nothing was stored: every file was rejected';
    tone = 'bad';
  } else {
    headline = `${ok} of ${plural(total, 'file')} stored`;
    tone = 'warn';
  }

  const parts = [
    `${counts.stored} stored`,
    counts.duplicate ? `${counts.duplicate} already stored` : null,
    `${counts.rejected} rejected`,
    counts.error ? `${counts.error} not sent` : null,
    !s.done && counts.pending + counts.uploading ? `${counts.pending + counts.uploading} to go` : null,
  ].filter(Boolean);

  const studyLink =
    s.storedStudies.length === 1 ? `/portal?study=${encodeURIComponent(s.storedStudies[0])}` : s.storedStudies.length > 1 ? '/portal' : null;

  return (
    <div className={`submit-summary submit-summary-${tone}`} data-testid="submit-summary" data-done={s.done}>
      <div role="status" aria-live="polite" aria-atomic="true">
        <p className="submit-headline">{headline}</p>
        <p className="submit-counts">{parts.join(' · ')}</p>
      </div>
      {!s.done && (
        <div className="overall-progress">
          <progress max={100} value={pct} aria-label="Overall upload progress" />
          <span className="muted small nowrap">
            {formatBytes(s.sentBytes)} of {formatBytes(s.totalBytes)}
          </span>
        </div>
      )}
      {s.done && counts.error > 0 && (
        <p className="submit-next">
          {plural(counts.error, 'file was', 'files were')} not sent (connection or server trouble).{' '}
          <button type="button" className="btn btn-small" onClick={() => uploadStore.retryFailed()}>
            Retry {counts.error === 1 ? 'it' : `all ${counts.error}`}
          </button>
        </p>
      )}
      {s.done && counts.rejected > 0 && (
        <p className="submit-next small">
          Rejected files were not stored; the reason is next to each one. If they are images the radiologist needs, export
          them again from the PACS or modality and add them here.
        </p>
      )}
      {ok > 0 && <p className="submit-next">{WORKLIST_DELAY_NOTE}</p>}
      {s.done && studyLink && (
        <p className="submit-next">
          <Link href={studyLink} className="btn btn-primary" data-testid="submit-study-link">
            {s.storedStudies.length === 1 ? 'See the study in your studies list' : 'See the studies in your studies list'}
          </Link>
        </p>
      )}
    </div>
  );
}

// ---------------------------------------------------------------- page body

export function SubmitStudy() {
  const { user } = useAuth();
  const s = useUploadSnapshot();
  const [draft, setDraft] = useState<OrderDraft>(EMPTY_DRAFT);
  const [accessionEdited, setAccessionEdited] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [notice, setNotice] = useState<string | null>(null);

  const accessionRef = useRef<HTMLInputElement>(null);
  const priorityRef = useRef<HTMLInputElement>(null);
  const indicationRef = useRef<HTMLTextAreaElement>(null);
  const subspecialtyRef = useRef<HTMLSelectElement>(null);
  const folderButtonRef = useRef<HTMLButtonElement>(null);
  const conflictRef = useRef<HTMLDivElement>(null);

  const sending = s.phase === 'sending';
  const busy = sending && !s.done;

  // The images' accession number fills an empty, untouched field.
  const imageAccession = s.studies.length === 1 && s.studies[0].accessionNumbers.length === 1 ? s.studies[0].accessionNumbers[0] : undefined;
  useEffect(() => {
    if (imageAccession && !accessionEdited && !draft.accessionNumber && s.phase === 'edit') {
      setDraft((d) => (d.accessionNumber ? d : { ...d, accessionNumber: imageAccession }));
    }
  }, [imageAccession, accessionEdited, draft.accessionNumber, s.phase]);

  // Closing or reloading the tab would cut the uploads off.
  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => {
      if (!uploadStore.busy) return;
      e.preventDefault();
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, []);

  useEffect(() => {
    if (s.phase === 'exists') conflictRef.current?.focus();
  }, [s.phase]);

  const onPicked = useCallback((picked: Picked) => {
    const { added } = uploadStore.add(picked);
    if (added > 0) setErrors(({ files: _files, ...rest }) => rest);
    const left = picked.skipped + picked.unreadable + (picked.files.length - added);
    setNotice(
      added === 0
        ? picked.files.length
          ? 'These files are already in the list.'
          : 'No files found there (hidden files are left out).'
        : `Added ${plural(added, 'file')}${left ? `; ${left} left out` : ''}.`,
    );
  }, []);

  const change = (patch: Partial<OrderDraft>) => {
    if ('accessionNumber' in patch) setAccessionEdited(true);
    setDraft((d) => ({ ...d, ...patch }));
    setErrors((e) => {
      const next = { ...e };
      for (const k of Object.keys(patch)) delete next[k as keyof FieldErrors];
      delete next.form;
      return next;
    });
  };

  const focusFirst = (e: FieldErrors) => {
    if (e.accessionNumber) accessionRef.current?.focus();
    else if (e.priority) priorityRef.current?.focus();
    else if (e.indication) indicationRef.current?.focus();
    else if (e.subspecialty) subspecialtyRef.current?.focus();
    else if (e.files) folderButtonRef.current?.focus();
  };

  const submittedOrder = (existing: boolean, message?: string): SubmittedOrder => ({
    accessionNumber: draft.accessionNumber.trim(),
    priority: draft.priority || 'ROUTINE',
    indication: draft.indication.trim(),
    subspecialty: draft.subspecialty || undefined,
    existing,
    message,
  });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (s.phase !== 'edit') return;
    const found = validateDraft(draft);
    if (s.rows.length === 0) found.files = 'Add the images: drop the study folder here or use Choose folder.';
    setErrors(found);
    if (Object.keys(found).length) {
      focusFirst(found);
      return;
    }
    uploadStore.beginOrder();
    // The study UID comes from the headers; a file that cannot be read quickly does not hold the order up.
    await Promise.race([uploadStore.headersReady(), new Promise((r) => setTimeout(r, HEADER_WAIT_MS))]);
    const studies = uploadStore.getSnapshot().studies;
    const studyUid = studies.length === 1 && UID.test(studies[0].studyInstanceUid) ? studies[0].studyInstanceUid : undefined;
    const body: CreateOrder = {
      accessionNumber: draft.accessionNumber.trim(),
      priority: draft.priority as CreateOrder['priority'],
      indication: draft.indication.trim(),
      ...(draft.subspecialty ? { requestedSubspecialty: draft.subspecialty } : {}),
      ...(studyUid ? { studyInstanceUid: studyUid } : {}),
    };
    try {
      await api.createOrder(body);
      uploadStore.startSending(submittedOrder(false));
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        uploadStore.orderExists(submittedOrder(true, err.message), err.message);
        return;
      }
      uploadStore.orderFailed();
      let next: FieldErrors;
      if (err instanceof ApiError && err.status === 400) next = serverFieldErrors(err.body?.message, err.message);
      else if (err instanceof ApiError && err.unreachable)
        next = { form: 'Cannot reach the Teleread server: nothing was sent. Check the connection and press Submit again.' };
      else next = { form: `The order was not created: ${errorMessage(err)}` };
      setErrors(next);
      focusFirst(next);
    }
  };

  const startOver = () => {
    uploadStore.reset();
    setDraft(EMPTY_DRAFT);
    setAccessionEdited(false);
    setErrors({});
    setNotice(null);
    accessionRef.current?.focus();
  };

  const isStat = draft.priority === 'STAT';
  const problems = s.counts.rejected + s.counts.error;

  return (
    <>
      <div className="page-head">
        <h1>Submit a study</h1>
        {user?.hospitalName && <span className="muted">for {user.hospitalName}</span>}
        <div className="toolbar">
          <Link href="/portal" className="btn btn-small">
            Back to studies
          </Link>
        </div>
      </div>
      <p className="submit-steps muted">
        <span>1. Add the images</span>
        <span>2. Fill in the order</span>
        <span>3. Submit: each file is sent on its own and gets its own result</span>
      </p>

      <form className="submit-layout" onSubmit={submit} noValidate aria-label="Submit a study">
        <section className="card submit-card" aria-labelledby="images-heading">
          <h2 id="images-heading">
            <span className="step" aria-hidden="true">
              1
            </span>
            Images
          </h2>
          <FilePicker onPicked={onPicked} errorId={errors.files ? 'files-error' : undefined} invalid={Boolean(errors.files)} folderButtonRef={folderButtonRef} />
          {errors.files && (
            <p className="field-error" id="files-error" data-testid="files-error">
              {errors.files}
            </p>
          )}
          {notice && (
            <p className="muted small" role="status">
              {notice}
            </p>
          )}
          <ImagesSummary s={s} />
        </section>

        <section className={`card submit-card${isStat && !sending ? ' submit-card-stat' : ''}`} aria-labelledby="order-heading">
          <h2 id="order-heading">
            <span className="step" aria-hidden="true">
              2
            </span>
            Order
          </h2>
          {sending && s.order ? (
            <OrderSummary order={s.order} />
          ) : (
            <OrderFields
              draft={draft}
              onChange={change}
              errors={errors}
              disabled={s.phase !== 'edit'}
              imageAccession={imageAccession}
              refs={{ accessionNumber: accessionRef, priority: priorityRef, indication: indicationRef, subspecialty: subspecialtyRef }}
            />
          )}
        </section>

        <div className="submit-bar">
          {s.phase === 'exists' && (
            <div className="alert alert-warn" role="alert" tabIndex={-1} ref={conflictRef} data-testid="order-conflict">
              <strong>{s.conflict}</strong>
              <span className="alert-detail">
                You can still send the images. The priority and indication entered here are not saved: the existing order
                stays as it is.
                {imageAccession && s.order && imageAccession !== s.order.accessionNumber && (
                  <>
                    {' '}
                    Note: the images carry accession number <strong className="mono">{imageAccession}</strong>; they are
                    matched to the order with that number, if there is one.
                  </>
                )}
              </span>
              <span className="alert-actions">
                <button type="button" className="btn btn-primary" onClick={() => s.order && uploadStore.startSending(s.order)} data-testid="order-continue">
                  Send the images for the existing order
                </button>
                <button
                  type="button"
                  className="btn"
                  onClick={() => {
                    uploadStore.editOrder();
                    setTimeout(() => accessionRef.current?.focus(), 0);
                  }}
                >
                  Change the accession number
                </button>
              </span>
            </div>
          )}
          {errors.form && (
            <p className="alert alert-error" role="alert" data-testid="form-error">
              {errors.form}
            </p>
          )}
          {!sending ? (
            s.phase !== 'exists' && (
              <button
                type="submit"
                className={`btn btn-submit${isStat ? ' btn-stat' : ' btn-primary'}`}
                data-testid="submit-button"
                disabled={s.phase === 'ordering'}
                aria-busy={s.phase === 'ordering'}
              >
                {s.phase === 'ordering'
                  ? 'Creating the order…'
                  : `Submit ${isStat ? 'STAT ' : ''}study${s.rows.length ? ` (${plural(s.rows.length, 'file')})` : ''}`}
              </button>
            )
          ) : (
            <button type="button" className="btn btn-another" onClick={startOver} disabled={busy} data-testid="submit-another">
              Submit another study
            </button>
          )}
        </div>
      </form>

      {s.rows.length > 0 && (
        <section className="submit-results" aria-labelledby="files-heading">
          <h2 id="files-heading">Files</h2>
          {sending && <SubmitSummary s={s} />}
          <FileTable rows={s.rows} phase={s.phase} problems={problems} />
        </section>
      )}
    </>
  );
}
