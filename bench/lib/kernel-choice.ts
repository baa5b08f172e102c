/** Turns the native matmul kernels on or off for a bench worker, and reports what is in use. */
import { registerNativeKernels, nativeKernelStatus, type NativeKernelStatus } from '../../src/backend/kernels';

/** `native`: register the native kernels (fails if the addon is absent); `off`: the backend's own. */
export type KernelChoice = 'native' | 'off';

/** Applies the choice on the active backend; returns what is in use. */
export function applyKernelChoice(choice: KernelChoice, backend: string): NativeKernelStatus | { active: false; reason: string } {
  if (choice === 'off') return { active: false, reason: 'not requested' };
  const status = registerNativeKernels(backend);
  if (!status.active) throw new Error(`native kernels requested but not active: ${status.reason}`);
  return nativeKernelStatus();
}
