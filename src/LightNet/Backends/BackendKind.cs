namespace LightNet.Backends;

/// <summary>The engine family a backend belongs to.</summary>
public enum BackendKind
{
    /// <summary>ONNX Runtime with one of its execution providers.</summary>
    OnnxRuntime,

    /// <summary>LightNet's own managed engine (no native code).</summary>
    Managed,

    /// <summary>A native library called directly (for example cuDNN).</summary>
    Native,

    /// <summary>A backend registered by another library.</summary>
    ThirdParty,
}

/// <summary>The numeric precision a backend computes in.</summary>
public enum Precision
{
    /// <summary>32-bit float.</summary>
    Fp32,

    /// <summary>16-bit float (storage and/or math).</summary>
    Fp16,

    /// <summary>8-bit integer (quantized models).</summary>
    Int8,
}
