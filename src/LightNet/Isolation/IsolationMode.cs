namespace LightNet.Isolation;

/// <summary>Where a session runs (<see cref="Backends.InferenceOptions.Isolation"/>, <see cref="Profiling.ProfileOptions.Isolation"/>).</summary>
public enum IsolationMode
{
    /// <summary>In the calling process: fastest, but a crash of native code (ONNX Runtime, cuDNN) ends the caller too.</summary>
    InProcess,

    /// <summary>
    /// In a LightNet worker process (<see cref="IsolationSettings.Worker"/>), one per session, talking over its standard
    /// input and output: a native crash, a run past <see cref="IsolationSettings.RunTimeout"/> or a worker over
    /// <see cref="IsolationSettings.MaxWorkerMemoryBytes"/> becomes a <see cref="LightNetException"/>
    /// (<see cref="ErrorCode.BackendCrashed"/>, <see cref="ErrorCode.Timeout"/>, <see cref="ErrorCode.ResourceLimit"/>)
    /// in the caller, which goes on running.
    /// </summary>
    Process,
}
