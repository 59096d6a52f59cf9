namespace LightNet.Backends;

/// <summary>
/// Keeps native memory alive while calls use it: every call that touches it is bracketed by <see cref="TryEnter"/> and
/// <see cref="Exit"/>, and <see cref="Dispose"/> only marks the owner disposed; the memory is released (the action given
/// to the constructor runs, once) when no call is inside any more: at once when none is, else when the last call leaves.
/// A call that starts after <see cref="Dispose"/> is refused, so native memory is never freed under a running call.
/// Lock-free: one integer holds the number of calls inside and, in its sign bit, whether the owner is disposed.
/// </summary>
internal sealed class NativeLifetime
{
    private const int DisposedBit = int.MinValue;
    private int _state;
    private Action? _release;

    /// <param name="release">Frees the native memory; runs exactly once, on the thread of the last call out.</param>
    public NativeLifetime(Action release)
    {
        _release = release;
    }

    /// <summary>Whether <see cref="Dispose"/> has been called (the memory may still be in use by calls inside).</summary>
    public bool IsDisposed => Volatile.Read(ref _state) < 0;

    /// <summary>Whether the memory has been released.</summary>
    public bool IsReleased => Volatile.Read(ref _release) is null;

    /// <summary>Enters a call; false (and nothing entered) once the owner is disposed.</summary>
    public bool TryEnter()
    {
        while (true)
        {
            int state = Volatile.Read(ref _state);
            if (state < 0)
            {
                return false;
            }

            if (state == int.MaxValue)
            {
                throw new LightNetException(ErrorCode.ResourceLimit, $"More than {int.MaxValue} calls are inside one session at once.");
            }

            if (Interlocked.CompareExchange(ref _state, state + 1, state) == state)
            {
                return true;
            }
        }
    }

    /// <summary>Leaves a call entered with <see cref="TryEnter"/>; the last call out of a disposed owner releases the memory.</summary>
    public void Exit()
    {
        if (Interlocked.Decrement(ref _state) == DisposedBit)
        {
            Release();
        }
    }

    /// <summary>Marks the owner disposed; releases the memory now when no call is inside. Idempotent.</summary>
    public void Dispose()
    {
        while (true)
        {
            int state = Volatile.Read(ref _state);
            if (state < 0)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _state, state | DisposedBit, state) == state)
            {
                if (state == 0)
                {
                    Release();
                }

                return;
            }
        }
    }

    private void Release() => Interlocked.Exchange(ref _release, null)?.Invoke();
}
