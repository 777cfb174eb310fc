/**
 * Reads a link code's QR code with the camera, where the browser has the Shape
 * Detection API's BarcodeDetector with QR support (Chrome on Android, macOS and
 * ChromeOS; not Firefox, and not Chrome on Linux or Windows). Elsewhere the code is
 * typed or pasted, and this is not offered. Only a `parley:link:` payload is taken;
 * the camera stops as soon as one is read, or when closed.
 */
import { useEffect, useRef, useState } from 'react';
import { explain } from '../errors.ts';

interface DetectedBarcode {
  readonly rawValue: string;
}
interface BarcodeDetectorLike {
  detect(source: HTMLVideoElement): Promise<DetectedBarcode[]>;
}
type BarcodeDetectorClass = (new (options: { formats: string[] }) => BarcodeDetectorLike) & { getSupportedFormats?: () => Promise<string[]> };

const PAYLOAD_PREFIX = 'parley:link:';
const SCAN_EVERY_MS = 250;

function detectorClass(): BarcodeDetectorClass | undefined {
  return (window as unknown as { BarcodeDetector?: BarcodeDetectorClass }).BarcodeDetector;
}

export function qrScanningAvailable(): boolean {
  return detectorClass() !== undefined && !!navigator.mediaDevices?.getUserMedia;
}

export function QrScanner({ onCode, onClose }: { onCode: (code: string) => void; onClose: () => void }) {
  const video = useRef<HTMLVideoElement>(null);
  const [error, setError] = useState<string>();
  const onCodeRef = useRef(onCode);
  onCodeRef.current = onCode;

  useEffect(() => {
    const Detector = detectorClass();
    if (!Detector) return;
    let stream: MediaStream | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const stop = () => {
      stopped = true;
      clearTimeout(timer);
      for (const t of stream?.getTracks() ?? []) t.stop();
    };
    (async () => {
      try {
        const formats = (await Detector.getSupportedFormats?.()) ?? ['qr_code'];
        if (!formats.includes('qr_code')) throw new Error('this browser cannot read QR codes; type the code instead');
        const detector = new Detector({ formats: ['qr_code'] });
        stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
        if (stopped) return stop();
        video.current!.srcObject = stream;
        await video.current!.play().catch(() => undefined);
        const scan = async () => {
          if (stopped) return;
          const found = (await detector.detect(video.current!).catch(() => [])).find((b) => b.rawValue.startsWith(PAYLOAD_PREFIX));
          if (found && !stopped) {
            stop();
            onCodeRef.current(found.rawValue);
            return;
          }
          timer = setTimeout(() => void scan(), SCAN_EVERY_MS);
        };
        void scan();
      } catch (e) {
        stop();
        setError(e instanceof DOMException && e.name === 'NotAllowedError' ? 'Parley may not use the camera. Allow it for this site, or type the code instead.' : explain(e));
      }
    })();
    return stop;
  }, []);

  return (
    <div className="qr-scanner">
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : (
        <video ref={video} muted playsInline aria-label="Camera view for scanning the QR code" />
      )}
      <button type="button" className="secondary" onClick={onClose}>
        Stop scanning
      </button>
    </div>
  );
}
