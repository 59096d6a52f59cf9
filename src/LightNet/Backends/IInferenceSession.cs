using LightNet.Profiling;

namespace LightNet.Backends;

/// <summary>
/// A model loaded into a backend, ready to run. <see cref="Run"/> may be called from several threads at once;
/// an <see cref="IPreparedRun"/> belongs to one thread at a time. Dispose the session to free its memory; Dispose
/// while another thread is inside <see cref="Run"/> is safe on every backend: memory is never freed under a running
/// call (it is freed when the call returns, or Dispose waits for it), and every later call throws
/// <see cref="ObjectDisposedException"/>.
/// </summary>
public interface IInferenceSession : IDisposable
{
    /// <summary>The backend that created the session.</summary>
    Backend Backend { get; }

    /// <summary>The inputs the caller feeds.</summary>
    IReadOnlyList<TensorSpec> Inputs { get; }

    /// <summary>The outputs the session returns.</summary>
    IReadOnlyList<TensorSpec> Outputs { get; }

    /// <summary>
    /// What this session runs with, read back from its engine: threads, instruction set, precision, device. A session that
    /// cannot say more than its backend does returns <see cref="SessionSettings.Of"/> of its backend.
    /// </summary>
    SessionSettings EffectiveSettings => SessionSettings.Of(Backend);

    /// <summary>Runs the model once. Thread-safe.</summary>
    /// <param name="inputs">One buffer per input, by name.</param>
    /// <returns>New buffers with every output, by name.</returns>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidArgument"/> or <see cref="ErrorCode.InvalidShape"/> naming the input at fault;
    /// <see cref="ErrorCode.InferenceFailed"/> when the backend fails.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="inputs"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The session has been disposed.</exception>
    IReadOnlyDictionary<string, TensorBuffer> Run(IReadOnlyDictionary<string, TensorBuffer> inputs);

    /// <summary>
    /// Binds inputs and preallocated outputs once, for a timed loop that allocates nothing per run.
    /// The inputs are read in place at every <see cref="IPreparedRun.Run"/>: change their contents between runs if needed.
    /// </summary>
    /// <param name="inputs">One buffer per input, by name; kept alive by the prepared run.</param>
    /// <exception cref="LightNetException">As for <see cref="Run"/>.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="inputs"/> is null.</exception>
    /// <exception cref="ObjectDisposedException">The session has been disposed.</exception>
    IPreparedRun Prepare(IReadOnlyDictionary<string, TensorBuffer> inputs);

    /// <summary>
    /// Ends per-operator profiling and returns the per-node times of every run since the session was created,
    /// or null when the session was created without <see cref="InferenceOptions.PerOperatorProfiling"/>. A backend that
    /// compiles one plan per input shape set (cpu-simd) reports the steps of the plan that ran most often since the last
    /// call (the most recently used on a tie), leaving out the runs at other shapes.
    /// </summary>
    /// <param name="skipFirstRuns">Runs to leave out at the start (warm-up).</param>
    OperatorProfile? CollectOperatorProfile(int skipFirstRuns = 0);
}

/// <summary>Inputs and outputs bound once, run many times. Not thread-safe: one thread at a time (enforced).</summary>
public interface IPreparedRun : IDisposable
{
    /// <summary>The output buffers, overwritten by each <see cref="Run"/>.</summary>
    IReadOnlyDictionary<string, TensorBuffer> Outputs { get; }

    /// <summary>Runs the model once on the bound inputs.</summary>
    /// <exception cref="LightNetException"><see cref="ErrorCode.InvalidOperation"/> when called from two threads at once;
    /// <see cref="ErrorCode.InferenceFailed"/> when the backend fails.</exception>
    /// <exception cref="ObjectDisposedException">The prepared run, or its session, has been disposed.</exception>
    void Run();
}
