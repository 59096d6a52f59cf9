using System.Numerics.Tensors;
using LightNet.Backends.Cudnn.Native;
using LightNet.Onnx;
using LightNet.Profiling;

namespace LightNet.Backends.Cudnn;

/// <summary>How one run's time split between copying in, computing and copying out (as trtexec reports it), from CUDA events.</summary>
/// <param name="HostToDeviceMs">Input copies (pinned host → device).</param>
/// <param name="ComputeMs">All cuDNN / cuBLAS calls.</param>
/// <param name="DeviceToHostMs">Output copies (device → pinned host).</param>
internal readonly record struct TransferSplit(double HostToDeviceMs, double ComputeMs, double DeviceToHostMs);

/// <summary>
/// Executes a <see cref="CudnnPlan"/> on one CUDA stream: device memory (arena, constants, workspace), pinned host
/// staging buffers, descriptors and convolution algorithms are all set up once at creation; a run is input copies,
/// the plan's calls and output copies on the stream, then one synchronisation. CUDA events time the H2D / compute /
/// D2H split of every run and, with per-operator profiling, every step.
/// </summary>
internal sealed unsafe class CudnnSession : IInferenceSession
{
    /// <summary>Largest convolution workspace the heuristic choice may take per layer.</summary>
    private const long MaxWorkspaceBytes = 256L << 20;

    private readonly CudnnPlan _plan;
    private readonly string _modelName;
    private readonly int _device;
    private readonly bool _profiling;
    private readonly object _gate = new();
    private readonly List<nint> _tensorDescriptors = [];
    private readonly List<nint> _filterDescriptors = [];
    private readonly List<nint> _convolutionDescriptors = [];
    private readonly List<nint> _activationDescriptors = [];
    private readonly List<nint> _poolingDescriptors = [];
    private readonly List<nint> _lrnDescriptors = [];
    private readonly List<nint> _opTensorDescriptors = [];
    private readonly Dictionary<string, (CudnnConvolutionFwdAlgo Algo, CudnnMathType Math, long Bytes)> _algorithms = new(StringComparer.Ordinal);
    private readonly List<List<Action>> _steps = [];
    private readonly nint[] _inputStaging;
    private readonly nint[] _outputStaging;
    private readonly nint[] _stepEvents;
    private readonly nint[] _splitEvents = new nint[4];
    private readonly List<double[]> _stepTimes = [];
    private nint _stream, _cudnn, _cublas, _arena, _constants, _workspace;
    private long _workspaceBytes;
    private int _disposed;

    public CudnnSession(CudnnBackend backend, Model model, CudnnPlan plan, InferenceOptions options)
    {
        Backend = backend;
        _plan = plan;
        _modelName = model.SourcePath ?? model.Graph.Name;
        _device = backend.DeviceIndex;
        _profiling = options.PerOperatorProfiling;
        Inputs = plan.Inputs.Select(b => new TensorSpec(b.Boundary.Name, b.Boundary.ElementType, b.Boundary.Declared)).ToArray();
        Outputs = plan.Outputs.Select(b => new TensorSpec(b.Boundary.Name, b.Boundary.ElementType, b.Boundary.Declared)).ToArray();
        _inputStaging = new nint[plan.Inputs.Count];
        _outputStaging = new nint[plan.Outputs.Count];
        _stepEvents = new nint[_profiling ? plan.Steps.Count + 1 : 0];
        try
        {
            Setup(backend.Exhaustive);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public Backend Backend { get; }

    public IReadOnlyList<TensorSpec> Inputs { get; }

    public IReadOnlyList<TensorSpec> Outputs { get; }

    /// <summary>The H2D / compute / D2H split of the last run.</summary>
    internal TransferSplit LastSplit { get; private set; }

    /// <summary>The convolution workspace allocated once for all layers.</summary>
    internal long WorkspaceBytes => _workspaceBytes;

    private int ElementSize => _plan.ElementSize;

    private CudnnDataType DataType => _plan.Fp16 ? CudnnDataType.Half : CudnnDataType.Float;

    private void Setup(bool exhaustive)
    {
        CudaRuntime.Check(CudaRuntime.SetDevice(_device), "cudaSetDevice");
        CudaRuntime.Check(CudaRuntime.StreamCreateWithFlags(out _stream, CudaRuntime.StreamNonBlocking), "cudaStreamCreateWithFlags");
        CudnnApi.Check(CudnnApi.Create(out _cudnn), "cudnnCreate");
        CudnnApi.Check(CudnnApi.SetStream(_cudnn, _stream), "cudnnSetStream");
        Cublas.Check(Cublas.Create(out _cublas), "cublasCreate");
        Cublas.Check(Cublas.SetStream(_cublas, _stream), "cublasSetStream");
        CudaRuntime.Check(CudaRuntime.Malloc(out _arena, (nuint)Math.Max(CudnnPlan.Alignment, _plan.ArenaBytes)), "cudaMalloc(arena)");
        CudaRuntime.Check(CudaRuntime.Malloc(out _constants, (nuint)Math.Max(CudnnPlan.Alignment, _plan.ConstantBytes)), "cudaMalloc(constants)");
        // Zeroed once, so that a fused convolution's unused z input (alpha2 = 0) never meets uninitialised NaN.
        CudaRuntime.Check(CudaRuntime.MemsetAsync(_arena, 0, (nuint)Math.Max(CudnnPlan.Alignment, _plan.ArenaBytes), _stream), "cudaMemsetAsync(arena)");
        UploadConstants();
        for (int i = 0; i < _plan.Inputs.Count; i++)
        {
            CudaRuntime.Check(CudaRuntime.MallocHost(out _inputStaging[i], (nuint)(_plan.Inputs[i].Elements * ElementSize)), "cudaMallocHost");
        }

        for (int i = 0; i < _plan.Outputs.Count; i++)
        {
            CudaRuntime.Check(CudaRuntime.MallocHost(out _outputStaging[i], (nuint)(_plan.Outputs[i].Elements * ElementSize)), "cudaMallocHost");
        }

        for (int i = 0; i < _splitEvents.Length; i++)
        {
            CudaRuntime.Check(CudaRuntime.EventCreate(out _splitEvents[i]), "cudaEventCreate");
        }

        for (int i = 0; i < _stepEvents.Length; i++)
        {
            CudaRuntime.Check(CudaRuntime.EventCreate(out _stepEvents[i]), "cudaEventCreate");
        }

        // Workspace first sized by the heuristics' (or a find's) needs over all layers, then allocated once.
        var pending = new List<(List<Action> Step, int Index, ConvCall Call)>();
        nint findWorkspace = 0;
        if (exhaustive)
        {
            CudaRuntime.Check(CudaRuntime.Malloc(out findWorkspace, (nuint)MaxWorkspaceBytes), "cudaMalloc(find workspace)");
        }

        try
        {
            foreach (CudnnStep step in _plan.Steps)
            {
                var actions = new List<Action>();
                foreach (CudnnCall call in step.Calls)
                {
                    actions.Add(Prepare(call, exhaustive ? findWorkspace : 0));
                }

                _steps.Add(actions);
            }
        }
        finally
        {
            if (findWorkspace != 0)
            {
                CudaRuntime.Free(findWorkspace);
            }
        }

        if (_workspaceBytes > 0)
        {
            CudaRuntime.Check(CudaRuntime.Malloc(out _workspace, (nuint)_workspaceBytes), "cudaMalloc(workspace)");
        }

        CudaRuntime.Check(CudaRuntime.StreamSynchronize(_stream), "cudaStreamSynchronize");
    }

    private void UploadConstants()
    {
        if (_plan.ConstantBytes == 0)
        {
            return;
        }

        CudaRuntime.Check(CudaRuntime.MallocHost(out nint host, (nuint)_plan.ConstantBytes), "cudaMallocHost(constants)");
        try
        {
            foreach (PlanBuffer b in _plan.Buffers.Where(b => b.IsConstant))
            {
                byte* at = (byte*)host + b.ByteOffset;
                if (_plan.Fp16)
                {
                    // Weights converted once, here.
                    TensorPrimitives.ConvertToHalf(b.Constant, new Span<Half>(at, b.Constant!.Length));
                }
                else
                {
                    b.Constant.AsSpan().CopyTo(new Span<float>(at, b.Constant!.Length));
                }
            }

            CudaRuntime.Check(CudaRuntime.Memcpy(_constants, host, (nuint)_plan.ConstantBytes, CudaMemcpyKind.HostToDevice), "cudaMemcpy(constants)");
        }
        finally
        {
            CudaRuntime.FreeHost(host);
        }
    }

    private nint Address(DeviceRef r)
    {
        PlanBuffer b = _plan.Buffers[r.Buffer];
        return (b.IsConstant ? _constants : _arena) + (nint)b.ByteOffset + (nint)(r.Offset * ElementSize);
    }

    private nint Tensor(TensorLayout layout)
    {
        CudnnApi.Check(CudnnApi.CreateTensorDescriptor(out nint d), "cudnnCreateTensorDescriptor");
        _tensorDescriptors.Add(d);
        fixed (int* dims = layout.Dims)
        fixed (int* strides = layout.Strides)
        {
            CudnnApi.Check(CudnnApi.SetTensorNdDescriptor(d, DataType, layout.Dims.Length, dims, strides), $"cudnnSetTensorNdDescriptor{layout}");
        }

        return d;
    }

    private nint ActivationDescriptor(CudnnActivationMode mode, double coef)
    {
        CudnnApi.Check(CudnnApi.CreateActivationDescriptor(out nint d), "cudnnCreateActivationDescriptor");
        _activationDescriptors.Add(d);
        CudnnApi.Check(CudnnApi.SetActivationDescriptor(d, mode, CudnnNanPropagation.Propagate, coef), "cudnnSetActivationDescriptor");
        return d;
    }

    private nint OpTensorDescriptor(CudnnOpTensorOp op)
    {
        CudnnApi.Check(CudnnApi.CreateOpTensorDescriptor(out nint d), "cudnnCreateOpTensorDescriptor");
        _opTensorDescriptors.Add(d);
        CudnnApi.Check(CudnnApi.SetOpTensorDescriptor(d, op, CudnnDataType.Float, CudnnNanPropagation.Propagate), "cudnnSetOpTensorDescriptor");
        return d;
    }

    /// <summary>Creates the call's descriptors once and returns the action that issues it on the stream.</summary>
    private Action Prepare(CudnnCall call, nint findWorkspace)
    {
        nint h = _cudnn;
        switch (call)
        {
            case ConvCall c:
                return PrepareConvolution(c, findWorkspace);
            case AddTensorCall c:
            {
                nint a = Tensor(c.ALayout), cd = Tensor(c.CLayout), pa = Address(c.A), pc = Address(c.C);
                float alpha = c.Alpha, beta = c.Beta;
                return () =>
                {
                    float al = alpha, be = beta;
                    CudnnApi.Check(CudnnApi.AddTensor(h, &al, a, pa, &be, cd, pc), "cudnnAddTensor");
                };
            }

            case ActivationCall c:
            {
                nint l = Tensor(c.Layout), act = ActivationDescriptor(c.Mode, c.Coef), px = Address(c.X), py = Address(c.Y);
                return () =>
                {
                    float one = 1f, zero = 0f;
                    CudnnApi.Check(CudnnApi.ActivationForward(h, act, &one, l, px, &zero, l, py), "cudnnActivationForward");
                };
            }

            case OpTensorCall c:
            {
                nint op = OpTensorDescriptor(c.Op), a = Tensor(c.ALayout), b = Tensor(c.BLayout), cd = Tensor(c.CLayout);
                nint pa = Address(c.A), pb = Address(c.B), pc = Address(c.C);
                float a1 = c.Alpha1, a2 = c.Alpha2, beta = c.Beta;
                return () =>
                {
                    float x1 = a1, x2 = a2, be = beta;
                    CudnnApi.Check(CudnnApi.OpTensor(h, op, &x1, a, pa, &x2, b, pb, &be, cd, pc), "cudnnOpTensor");
                };
            }

            case PoolingCall c:
            {
                CudnnApi.Check(CudnnApi.CreatePoolingDescriptor(out nint pool), "cudnnCreatePoolingDescriptor");
                _poolingDescriptors.Add(pool);
                CudnnApi.Check(CudnnApi.SetPooling2dDescriptor(pool, c.Mode, CudnnNanPropagation.Propagate, c.WindowH, c.WindowW,
                    c.PadH, c.PadW, c.StrideH, c.StrideW), "cudnnSetPooling2dDescriptor");
                nint x = Tensor(c.XLayout), y = Tensor(c.YLayout), px = Address(c.X), py = Address(c.Y);
                return () =>
                {
                    float one = 1f, zero = 0f;
                    CudnnApi.Check(CudnnApi.PoolingForward(h, pool, &one, x, px, &zero, y, py), "cudnnPoolingForward");
                };
            }

            case SoftmaxCall c:
            {
                nint l = Tensor(c.Layout), px = Address(c.X), py = Address(c.Y);
                CudnnSoftmaxAlgorithm algorithm = c.Log ? CudnnSoftmaxAlgorithm.Log : CudnnSoftmaxAlgorithm.Accurate;
                return () =>
                {
                    float one = 1f, zero = 0f;
                    CudnnApi.Check(CudnnApi.SoftmaxForward(h, algorithm, CudnnSoftmaxMode.Channel, &one, l, px, &zero, l, py), "cudnnSoftmaxForward");
                };
            }

            case LrnCall c:
            {
                CudnnApi.Check(CudnnApi.CreateLrnDescriptor(out nint lrn), "cudnnCreateLRNDescriptor");
                _lrnDescriptors.Add(lrn);
                CudnnApi.Check(CudnnApi.SetLrnDescriptor(lrn, (uint)c.Size, c.Alpha, c.Beta, c.K), "cudnnSetLRNDescriptor");
                nint l = Tensor(c.Layout), px = Address(c.X), py = Address(c.Y);
                return () =>
                {
                    float one = 1f, zero = 0f;
                    CudnnApi.Check(CudnnApi.LrnCrossChannelForward(h, lrn, CudnnLrnMode.CrossChannelDim1, &one, l, px, &zero, l, py), "cudnnLRNCrossChannelForward");
                };
            }

            case TransformCall c:
            {
                nint x = Tensor(c.XLayout), y = Tensor(c.YLayout), px = Address(c.X), py = Address(c.Y);
                return () =>
                {
                    float one = 1f, zero = 0f;
                    CudnnApi.Check(CudnnApi.TransformTensor(h, &one, x, px, &zero, y, py), "cudnnTransformTensor");
                };
            }

            case GemmCall c:
                return PrepareGemm(c);
            case CopyCall c:
            {
                nint dst = Address(c.Destination), src = Address(c.Source);
                int es = ElementSize;
                return () => CudaRuntime.Check(CudaRuntime.Memcpy2DAsync(dst, (nuint)(c.DestinationPitch * es), src, (nuint)(c.SourcePitch * es),
                    (nuint)(c.Width * es), (nuint)c.Height, CudaMemcpyKind.DeviceToDevice, _stream), "cudaMemcpy2DAsync");
            }

            default:
                throw new LightNetException(ErrorCode.InferenceFailed, $"The cudnn session has no executor for {call.Function}.");
        }
    }

    private Action PrepareGemm(GemmCall c)
    {
        nint handle = _cublas, a = Address(c.A), b = Address(c.B), cc = Address(c.C);
        CublasOperation ta = c.TransA ? CublasOperation.Transpose : CublasOperation.None;
        CublasOperation tb = c.TransB ? CublasOperation.Transpose : CublasOperation.None;
        float alpha = c.Alpha, beta = c.Beta;
        if (!c.Fp16)
        {
            return () =>
            {
                float al = alpha, be = beta;
                Cublas.Check(Cublas.Sgemm(handle, ta, tb, c.M, c.N, c.K, &al, a, c.Lda, b, c.Ldb, &be, cc, c.Ldc), "cublasSgemm_v2");
            };
        }

        // FP16 storage, FP32 accumulation (alpha and beta are floats for CUBLAS_COMPUTE_32F); tensor cores when the shape allows.
        return () =>
        {
            float al = alpha, be = beta;
            Cublas.Check(Cublas.GemmEx(handle, ta, tb, c.M, c.N, c.K, &al, a, CudaDataType.R16F, c.Lda, b, CudaDataType.R16F, c.Ldb,
                &be, cc, CudaDataType.R16F, c.Ldc, CublasComputeType.Compute32F, Cublas.GemmDefault), "cublasGemmEx");
        };
    }

    private Action PrepareConvolution(ConvCall c, nint findWorkspace)
    {
        nint h = _cudnn;
        nint x = Tensor(c.XLayout), y = Tensor(c.YLayout);
        CudnnApi.Check(CudnnApi.CreateFilterDescriptor(out nint w), "cudnnCreateFilterDescriptor");
        _filterDescriptors.Add(w);
        CudnnApi.Check(CudnnApi.SetFilter4dDescriptor(w, DataType, CudnnTensorFormat.Nchw, c.FilterDims[0], c.FilterDims[1], c.FilterDims[2], c.FilterDims[3]),
            "cudnnSetFilter4dDescriptor");
        CudnnApi.Check(CudnnApi.CreateConvolutionDescriptor(out nint conv), "cudnnCreateConvolutionDescriptor");
        _convolutionDescriptors.Add(conv);
        // FP32 and FP16 both accumulate in FP32 (FP16: the "pseudo-half" configuration).
        CudnnApi.Check(CudnnApi.SetConvolution2dDescriptor(conv, c.PadH, c.PadW, c.StrideH, c.StrideW, c.DilationH, c.DilationW,
            CudnnConvolutionMode.CrossCorrelation, CudnnDataType.Float), "cudnnSetConvolution2dDescriptor");
        CudnnApi.Check(CudnnApi.SetConvolutionGroupCount(conv, c.Groups), "cudnnSetConvolutionGroupCount");
        // FP16: tensor cores. FP32: plain FMA math, so that Ampere and later do not silently drop to TF32.
        CudnnMathType math = _plan.Fp16 ? CudnnMathType.TensorOp : CudnnMathType.Fma;
        CudnnApi.Check(CudnnApi.SetConvolutionMathType(conv, math), "cudnnSetConvolutionMathType");
        nint px = Address(c.X), pw = Address(c.W), py = Address(c.Y);

        string key = $"{c.XLayout}|{string.Join(",", c.FilterDims)}|{c.YLayout}|{c.PadH},{c.PadW},{c.StrideH},{c.StrideW},{c.DilationH},{c.DilationW},{c.Groups}|{c.Fused}";
        if (!_algorithms.TryGetValue(key, out var choice))
        {
            choice = ChooseAlgorithm(x, w, conv, y, px, pw, py, findWorkspace, math);
            _algorithms[key] = choice;
        }

        if (choice.Math != math)
        {
            CudnnApi.Check(CudnnApi.SetConvolutionMathType(conv, choice.Math), "cudnnSetConvolutionMathType");
        }

        _workspaceBytes = Math.Max(_workspaceBytes, choice.Bytes);
        CudnnConvolutionFwdAlgo algo = choice.Algo;
        nuint wsBytes = (nuint)choice.Bytes;
        float beta = c.Beta;
        if (!c.Fused)
        {
            return () =>
            {
                float one = 1f;
                float b = beta;
                CudnnApi.Check(CudnnApi.ConvolutionForward(h, &one, x, px, w, pw, conv, algo, _workspace, wsBytes, &b, y, py), "cudnnConvolutionForward");
            };
        }

        nint bias = Tensor(new TensorLayout([1, c.FilterDims[0], 1, 1], [c.FilterDims[0], 1, 1, 1]));
        nint act = ActivationDescriptor(CudnnActivationMode.Relu, 0);
        nint pb = Address(c.Bias!.Value);
        // z = the residual (alpha2 = 1), or y itself with alpha2 = 0 (cuDNN needs a valid z either way).
        nint pz = c.Z is DeviceRef z ? Address(z) : py;
        float alpha2 = c.Z is null ? 0f : 1f;
        return () =>
        {
            float one = 1f;
            float a2 = alpha2;
            CudnnApi.Check(CudnnApi.ConvolutionBiasActivationForward(h, &one, x, px, w, pw, conv, algo, _workspace, wsBytes, &a2, y, pz,
                bias, pb, act, y, py), "cudnnConvolutionBiasActivationForward");
        };
    }

    private (CudnnConvolutionFwdAlgo, CudnnMathType, long) ChooseAlgorithm(nint x, nint w, nint conv, nint y, nint px, nint pw, nint py,
        nint findWorkspace, CudnnMathType math)
    {
        const int Requested = 8;
        CudnnConvolutionFwdAlgoPerf* results = stackalloc CudnnConvolutionFwdAlgoPerf[Requested];
        int returned;
        if (findWorkspace != 0)
        {
            CudnnApi.Check(CudnnApi.FindConvolutionForwardAlgorithmEx(_cudnn, x, px, w, pw, conv, y, py, Requested, out returned, results,
                findWorkspace, (nuint)MaxWorkspaceBytes), "cudnnFindConvolutionForwardAlgorithmEx");
        }
        else
        {
            CudnnApi.Check(CudnnApi.GetConvolutionForwardAlgorithmV7(_cudnn, x, w, conv, y, Requested, out returned, results),
                "cudnnGetConvolutionForwardAlgorithm_v7");
        }

        for (int i = 0; i < returned; i++)
        {
            CudnnConvolutionFwdAlgoPerf p = results[i];
            if (p.Status != CudnnApi.Success || (long)p.Memory > MaxWorkspaceBytes)
            {
                continue;
            }

            // FP32 keeps FMA math even when a result reports another math type.
            CudnnMathType chosen = _plan.Fp16 ? p.MathType : math;
            CudnnApi.Check(CudnnApi.SetConvolutionMathType(conv, chosen), "cudnnSetConvolutionMathType");
            if (CudnnApi.GetConvolutionForwardWorkspaceSize(_cudnn, x, w, conv, y, p.Algo, out nuint bytes) == CudnnApi.Success)
            {
                return (p.Algo, chosen, (long)bytes);
            }
        }

        throw new LightNetException(ErrorCode.InferenceFailed,
            $"cuDNN offered no usable forward algorithm for a convolution of '{_modelName}' ({returned} candidates, workspace limit {MaxWorkspaceBytes >> 20} MiB).");
    }

    public IReadOnlyDictionary<string, TensorBuffer> Run(IReadOnlyDictionary<string, TensorBuffer> inputs)
    {
        ThrowIfDisposed();
        CheckInputs(inputs);
        var outputs = new Dictionary<string, TensorBuffer>(StringComparer.Ordinal);
        foreach (PlanBinding o in _plan.Outputs)
        {
            outputs[o.Boundary.Name] = TensorBuffer.Allocate(o.Boundary.ElementType, o.Boundary.Dims);
        }

        Execute(inputs, outputs);
        return outputs;
    }

    public IPreparedRun Prepare(IReadOnlyDictionary<string, TensorBuffer> inputs)
    {
        IReadOnlyDictionary<string, TensorBuffer> outputs = Run(inputs);
        return new PreparedRun(this, inputs, outputs);
    }

    private void CheckInputs(IReadOnlyDictionary<string, TensorBuffer> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        foreach (string name in inputs.Keys.Where(n => _plan.Inputs.All(i => i.Boundary.Name != n)))
        {
            throw new LightNetException(ErrorCode.InvalidArgument,
                $"Model '{_modelName}' has no input '{name}'; its inputs: {string.Join(", ", Inputs.Select(i => i.ToString()))}.");
        }

        foreach (PlanBinding b in _plan.Inputs)
        {
            if (!inputs.TryGetValue(b.Boundary.Name, out TensorBuffer? t))
            {
                throw new LightNetException(ErrorCode.InvalidArgument, $"Model '{_modelName}': input '{b.Boundary.Name}' is missing.");
            }

            if (t.ElementType != b.Boundary.ElementType || !t.Shape.SequenceEqual(b.Boundary.Dims))
            {
                throw new LightNetException(ErrorCode.InvalidShape,
                    $"Model '{_modelName}': input '{b.Boundary.Name}' must be {b.Boundary.ElementType} {Dimension.Format(b.Boundary.Dims)} " +
                    $"(the shape the {Backend.Name} plan was built for), not {t}.");
            }
        }
    }

    private void Execute(IReadOnlyDictionary<string, TensorBuffer> inputs, IReadOnlyDictionary<string, TensorBuffer> outputs)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            CudaRuntime.Check(CudaRuntime.SetDevice(_device), "cudaSetDevice");
            CudaRuntime.Check(CudaRuntime.EventRecord(_splitEvents[0], _stream), "cudaEventRecord");
            for (int i = 0; i < _plan.Inputs.Count; i++)
            {
                PlanBinding b = _plan.Inputs[i];
                Stage(inputs[b.Boundary.Name], _inputStaging[i], b.Elements);
                CudaRuntime.Check(CudaRuntime.MemcpyAsync(Address(b.Location), _inputStaging[i], (nuint)(b.Elements * ElementSize),
                    CudaMemcpyKind.HostToDevice, _stream), "cudaMemcpyAsync(input)");
            }

            CudaRuntime.Check(CudaRuntime.EventRecord(_splitEvents[1], _stream), "cudaEventRecord");
            for (int s = 0; s < _steps.Count; s++)
            {
                if (_profiling)
                {
                    CudaRuntime.Check(CudaRuntime.EventRecord(_stepEvents[s], _stream), "cudaEventRecord");
                }

                foreach (Action call in _steps[s])
                {
                    call();
                }
            }

            if (_profiling)
            {
                CudaRuntime.Check(CudaRuntime.EventRecord(_stepEvents[_steps.Count], _stream), "cudaEventRecord");
            }

            CudaRuntime.Check(CudaRuntime.EventRecord(_splitEvents[2], _stream), "cudaEventRecord");
            for (int i = 0; i < _plan.Outputs.Count; i++)
            {
                PlanBinding b = _plan.Outputs[i];
                CudaRuntime.Check(CudaRuntime.MemcpyAsync(_outputStaging[i], Address(b.Location), (nuint)(b.Elements * ElementSize),
                    CudaMemcpyKind.DeviceToHost, _stream), "cudaMemcpyAsync(output)");
            }

            CudaRuntime.Check(CudaRuntime.EventRecord(_splitEvents[3], _stream), "cudaEventRecord");
            CudaRuntime.Check(CudaRuntime.StreamSynchronize(_stream), "cudaStreamSynchronize");
            for (int i = 0; i < _plan.Outputs.Count; i++)
            {
                PlanBinding b = _plan.Outputs[i];
                Unstage(_outputStaging[i], outputs[b.Boundary.Name], b.Elements);
            }

            LastSplit = new TransferSplit(Elapsed(_splitEvents[0], _splitEvents[1]), Elapsed(_splitEvents[1], _splitEvents[2]), Elapsed(_splitEvents[2], _splitEvents[3]));
            if (_profiling)
            {
                var times = new double[_steps.Count];
                for (int s = 0; s < times.Length; s++)
                {
                    times[s] = Elapsed(_stepEvents[s], _stepEvents[s + 1]);
                }

                _stepTimes.Add(times);
            }
        }
    }

    private static double Elapsed(nint start, nint end)
    {
        CudaRuntime.Check(CudaRuntime.EventElapsedTime(out float ms, start, end), "cudaEventElapsedTime");
        return ms;
    }

    /// <summary>Caller data (FP32 or FP16) → pinned staging in the device's precision.</summary>
    private void Stage(TensorBuffer source, nint staging, long elements)
    {
        int n = checked((int)elements);
        bool sourceHalf = source.ElementType == TensorElementType.Float16;
        if (_plan.Fp16)
        {
            var dst = new Span<Half>((void*)staging, n);
            if (sourceHalf) source.AsSpan<Half>().CopyTo(dst);
            else TensorPrimitives.ConvertToHalf(source.AsSpan<float>(), dst);
        }
        else
        {
            var dst = new Span<float>((void*)staging, n);
            if (sourceHalf) TensorPrimitives.ConvertToSingle(source.AsSpan<Half>(), dst);
            else source.AsSpan<float>().CopyTo(dst);
        }
    }

    /// <summary>Pinned staging in the device's precision → the caller's buffer (FP32 or FP16).</summary>
    private void Unstage(nint staging, TensorBuffer destination, long elements)
    {
        int n = checked((int)elements);
        bool destinationHalf = destination.ElementType == TensorElementType.Float16;
        if (_plan.Fp16)
        {
            var src = new ReadOnlySpan<Half>((void*)staging, n);
            if (destinationHalf) src.CopyTo(destination.AsSpan<Half>());
            else TensorPrimitives.ConvertToSingle(src, destination.AsSpan<float>());
        }
        else
        {
            var src = new ReadOnlySpan<float>((void*)staging, n);
            if (destinationHalf) TensorPrimitives.ConvertToHalf(src, destination.AsSpan<Half>());
            else src.CopyTo(destination.AsSpan<float>());
        }
    }

    public OperatorProfile? CollectOperatorProfile(int skipFirstRuns = 0)
    {
        ThrowIfDisposed();
        if (!_profiling)
        {
            return null;
        }

        lock (_gate)
        {
            var runs = _stepTimes.Skip(Math.Max(0, skipFirstRuns)).ToArray();
            double total = runs.Sum(r => r.Sum());
            var nodes = _plan.Steps.Select((s, i) =>
            {
                double t = runs.Sum(r => r[i]);
                return new OperatorTiming(s.Node, s.OpType, "cuDNN", runs.Length, t, runs.Length == 0 ? 0 : t / runs.Length, total > 0 ? 100 * t / total : 0);
            }).OrderByDescending(t => t.TotalMs).ThenBy(t => t.Name, StringComparer.Ordinal).ToArray();
            var byType = nodes.GroupBy(t => t.OpType, StringComparer.Ordinal)
                .Select(g => new OperatorTypeTiming(g.Key, g.Count(), g.Sum(t => t.Calls), g.Sum(t => t.TotalMs), total > 0 ? 100 * g.Sum(t => t.TotalMs) / total : 0))
                .OrderByDescending(t => t.TotalMs).ThenBy(t => t.OpType, StringComparer.Ordinal).ToArray();
            return new OperatorProfile(nodes, byType, runs.Length, total);
        }
    }

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw new ObjectDisposedException(nameof(CudnnSession), $"The {Backend.Name} session for '{_modelName}' has been disposed.");
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        lock (_gate)
        {
            if (_stream != 0)
            {
                CudaRuntime.StreamSynchronize(_stream);
            }

            _tensorDescriptors.ForEach(d => CudnnApi.DestroyTensorDescriptor(d));
            _filterDescriptors.ForEach(d => CudnnApi.DestroyFilterDescriptor(d));
            _convolutionDescriptors.ForEach(d => CudnnApi.DestroyConvolutionDescriptor(d));
            _activationDescriptors.ForEach(d => CudnnApi.DestroyActivationDescriptor(d));
            _poolingDescriptors.ForEach(d => CudnnApi.DestroyPoolingDescriptor(d));
            _lrnDescriptors.ForEach(d => CudnnApi.DestroyLrnDescriptor(d));
            _opTensorDescriptors.ForEach(d => CudnnApi.DestroyOpTensorDescriptor(d));
            foreach (nint e in _stepEvents.Concat(_splitEvents).Where(e => e != 0))
            {
                CudaRuntime.EventDestroy(e);
            }

            foreach (nint p in _inputStaging.Concat(_outputStaging).Where(p => p != 0))
            {
                CudaRuntime.FreeHost(p);
            }

            foreach (nint p in new[] { _workspace, _constants, _arena }.Where(p => p != 0))
            {
                CudaRuntime.Free(p);
            }

            if (_cublas != 0)
            {
                Cublas.Destroy(_cublas);
            }

            if (_cudnn != 0)
            {
                CudnnApi.Destroy(_cudnn);
            }

            if (_stream != 0)
            {
                CudaRuntime.StreamDestroy(_stream);
            }
        }
    }

    /// <summary>Inputs and outputs bound once; runs reuse the session's pinned staging and allocate nothing.</summary>
    private sealed class PreparedRun(CudnnSession owner, IReadOnlyDictionary<string, TensorBuffer> inputs, IReadOnlyDictionary<string, TensorBuffer> outputs) : IPreparedRun
    {
        private int _busy;
        private int _disposed;

        public IReadOnlyDictionary<string, TensorBuffer> Outputs { get; } = outputs;

        public void Run()
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                throw new ObjectDisposedException(nameof(IPreparedRun), "The prepared run has been disposed.");
            }

            if (Interlocked.Exchange(ref _busy, 1) != 0)
            {
                throw new LightNetException(ErrorCode.InvalidOperation,
                    "A prepared run was started from two threads at once; prepare one per thread (IInferenceSession.Run is thread-safe).");
            }

            try
            {
                owner.Execute(inputs, Outputs);
            }
            finally
            {
                Volatile.Write(ref _busy, 0);
            }
        }

        public void Dispose() => Volatile.Write(ref _disposed, 1);
    }
}
