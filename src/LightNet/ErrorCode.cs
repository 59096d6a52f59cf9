namespace LightNet;

/// <summary>
/// The public, stable code of every error LightNet reports through <see cref="LightNetException"/>.
/// Callers branch on the code, never on the message text.
/// </summary>
public enum ErrorCode
{
    /// <summary>An argument given to a LightNet API is out of range or inconsistent.</summary>
    InvalidArgument = 1,

    /// <summary>The bytes are not a valid ONNX model (not protobuf, truncated, missing graph, bad structure).</summary>
    InvalidModel = 2,

    /// <summary>The model file or a tensor in it is larger than the configured limit.</summary>
    ModelTooLarge = 3,

    /// <summary>A tensor's data does not match its declared type and shape.</summary>
    InvalidTensor = 4,

    /// <summary>A shape is invalid (negative or absurd dimension, mismatched ranks, incompatible broadcast).</summary>
    InvalidShape = 5,

    /// <summary>A dynamic dimension needs a value from the caller before shapes can be resolved.</summary>
    MissingDimension = 6,

    /// <summary>The graph's nodes form a cycle, so no execution order exists.</summary>
    GraphCycle = 7,

    /// <summary>A node consumes a value that no graph input, initializer or earlier node produces.</summary>
    UnresolvedInput = 8,

    /// <summary>The model refers to external data that is disabled or whose path leaves the model's folder.</summary>
    ExternalDataRejected = 9,

    /// <summary>An operator, or an attribute value of it, is not supported by the component asked to handle it.</summary>
    UnsupportedOperator = 10,

    /// <summary>A download failed (network error, HTTP error status, server that cannot resume).</summary>
    DownloadFailed = 11,

    /// <summary>A file's SHA-256 does not match the expected value.</summary>
    ChecksumMismatch = 12,

    /// <summary>Reading or writing a file failed.</summary>
    IOFailure = 13,

    /// <summary>The name does not match any model in the zoo.</summary>
    UnknownModel = 14,

    /// <summary>A backend cannot run on this machine; the message says why and what to install.</summary>
    BackendUnavailable = 15,

    /// <summary>An image could not be decoded or exceeds the configured limits.</summary>
    InvalidImage = 16,

    /// <summary>
    /// The call is not valid in the object's state, for example a prepared run used from two threads at once. (Use after
    /// Dispose throws <see cref="ObjectDisposedException"/> instead.)
    /// </summary>
    InvalidOperation = 17,

    /// <summary>A backend failed while running a model (the message carries the backend's own error).</summary>
    InferenceFailed = 18,

    /// <summary>
    /// A model input or output is not a tensor (a sequence, map, optional or sparse tensor value), or has an element
    /// type the component asked to handle does not support; the message names the value and its kind.
    /// </summary>
    UnsupportedType = 19,

    /// <summary>
    /// The work asked for is over a configured resource limit (the memory budget of a session, a count limit of
    /// <see cref="ModelLoadOptions"/>); the message gives the numbers and the option that sets the limit.
    /// </summary>
    ResourceLimit = 20,

    /// <summary>
    /// The worker process that ran a session in isolation (<see cref="Isolation.IsolationMode.Process"/>) died: a crash
    /// in native code, an abort, a stack overflow. The message gives its exit code or signal and the last lines it wrote.
    /// </summary>
    BackendCrashed = 21,

    /// <summary>An operation did not finish within its time limit (an isolated run past <see cref="Isolation.IsolationSettings.RunTimeout"/>); the work was stopped.</summary>
    Timeout = 22,
}
