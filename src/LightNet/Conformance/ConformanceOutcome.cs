namespace LightNet.Conformance;

/// <summary>How one ONNX backend test case ended on one backend.</summary>
public enum ConformanceOutcome
{
    /// <summary>Every output of every data set matched the expected one (shape, element type and values).</summary>
    Pass,

    /// <summary>The backend ran the case but an output differs: values outside the tolerance, another shape or element type, or a missing output.</summary>
    Wrong,

    /// <summary>
    /// The case was declined with a <see cref="LightNetException"/> while loading the model, creating the session or running it
    /// (typically <see cref="ErrorCode.UnsupportedOperator"/>), or the runner itself cannot express the case's data
    /// (sequence, optional or string values; error code <c>Runner</c>).
    /// </summary>
    Refused,

    /// <summary>Any other exception, or the worker process died while running the case.</summary>
    Crashed,

    /// <summary>The case ran past the per-case time limit (isolated mode only) and its worker was killed.</summary>
    Timeout,
}
