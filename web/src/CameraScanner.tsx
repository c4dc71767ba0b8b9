// Scans a barcode with the phone camera (@zxing/browser, loaded only when the camera is opened).
import { useEffect, useRef, useState } from 'react';
import { useT } from './i18n';

export function CameraScanner({ onCode, onClose }: { onCode(code: string): void; onClose(): void }) {
  const t = useT();
  const video = useRef<HTMLVideoElement>(null);
  const [error, setError] = useState('');
  // The latest callback, without restarting the camera whenever the page re-renders.
  const onCodeRef = useRef(onCode);
  onCodeRef.current = onCode;
  const failedText = t.cameraFailed;
  useEffect(() => {
    let stop: (() => void) | undefined;
    let cancelled = false;
    import('@zxing/browser')
      .then(async ({ BrowserMultiFormatReader }) => {
        if (cancelled || !video.current) return;
        const reader = new BrowserMultiFormatReader();
        // A phone's back camera faces the parcel; `ideal` still takes the only camera a laptop has.
        const constraints = { video: { facingMode: { ideal: 'environment' } }, audio: false };
        const controls = await reader.decodeFromConstraints(constraints, video.current, (result, _err, c) => {
          if (!result) return;
          c.stop();
          onCodeRef.current(result.getText());
        });
        stop = () => controls.stop();
        if (cancelled) stop();
      })
      .catch((e: Error) => setError(`${failedText}: ${e.message}`));
    return () => {
      cancelled = true;
      stop?.();
    };
  }, [failedText]);
  return (
    <div className="camera card">
      <video ref={video} muted playsInline />
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <button type="button" className="big" onClick={onClose}>
        {t.closeCamera}
      </button>
    </div>
  );
}
