using LightNet.Backends;
using LightNet.Operators.Interpreter;
using LightNet.Profiling;

namespace LightNet.Engine;

/// <summary>
/// A <c>cpu-simd</c> session whose compiled plans wait for the first input shapes (symbolic dimensions without
/// values). If compiling the graph at those shapes is refused (an operator or value the fast path cannot plan), the
/// session switches, once and for good, to the interpreter, which runs every shape; otherwise it is the fast session.
/// </summary>
internal sealed class CpuSimdFallbackSession(CpuSimdSession compiled, Func<string, InterpretedSession> interpreter) : IInferenceSession
{
    private readonly object _gate = new();
    private IInferenceSession _active = compiled;

    public Backend Backend => compiled.Backend;

    public SessionSettings EffectiveSettings => Volatile.Read(ref _active).EffectiveSettings;

    public IReadOnlyList<TensorSpec> Inputs => compiled.Inputs;

    public IReadOnlyList<TensorSpec> Outputs => compiled.Outputs;

    /// <summary>The compiled session (disposed once the interpreter took over).</summary>
    public CpuSimdSession Compiled => compiled;

    /// <summary>True once the session runs on the interpreter.</summary>
    public bool Interpreted => _active is InterpretedSession;

    public IReadOnlyDictionary<string, TensorBuffer> Run(IReadOnlyDictionary<string, TensorBuffer> inputs) => Invoke(s => s.Run(inputs));

    public IPreparedRun Prepare(IReadOnlyDictionary<string, TensorBuffer> inputs) => Invoke(s => s.Prepare(inputs));

    public OperatorProfile? CollectOperatorProfile(int skipFirstRuns = 0) => Volatile.Read(ref _active).CollectOperatorProfile(skipFirstRuns);

    private T Invoke<T>(Func<IInferenceSession, T> call)
    {
        IInferenceSession active = Volatile.Read(ref _active);
        if (active is InterpretedSession)
        {
            return call(active);
        }

        try
        {
            return call(active);
        }
        catch (LightNetException e) when (e.Code == ErrorCode.UnsupportedOperator)
        {
            lock (_gate)
            {
                if (_active is not InterpretedSession)
                {
                    _active = interpreter(e.Message);
                    compiled.Dispose();
                }
            }

            return call(_active);
        }
    }

    public void Dispose()
    {
        compiled.Dispose();
        (_active as InterpretedSession)?.Dispose();
    }
}
