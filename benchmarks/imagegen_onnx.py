"""The random-weight SD 1.5 that `imagegen_speed` builds, as an ONNX folder the app's ONNX image engine loads.

Exported with torch.onnx to three fp32 graphs with optimum's input and output names (CLIP text encoder,
UNet, VAE decoder; the UNet's 3.4 GB go to external data files), plus what the folder needs beside them:
SD 1.5's scheduler config, a CLIP BPE tokenizer (the tests' small one: token ids do not change the speed)
and model_index.json. `imagegen_speed --onnx` then times it through HostedImageEngine, the app's path.
Nothing here ships: the export needs PyTorch (dev extra).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_EXPORT_CHILD = r"""
import sys, torch
from diffusers import AutoencoderKL, UNet2DConditionModel
from transformers import CLIPTextModel
folder, out = sys.argv[1], sys.argv[2]


class Unet(torch.nn.Module):
    def __init__(self, unet): super().__init__(); self.unet = unet
    def forward(self, sample, timestep, encoder_hidden_states):
        return self.unet(sample, timestep, encoder_hidden_states=encoder_hidden_states, return_dict=False)[0]


class Decoder(torch.nn.Module):
    def __init__(self, vae): super().__init__(); self.vae = vae
    def forward(self, latent_sample): return self.vae.decode(latent_sample, return_dict=False)[0]


class Text(torch.nn.Module):
    def __init__(self, clip): super().__init__(); self.clip = clip
    def forward(self, input_ids): return self.clip(input_ids, return_dict=False)[0]


spatial = {0: "batch", 2: "h", 3: "w"}
with torch.no_grad():
    unet = UNet2DConditionModel.from_pretrained(folder + "/unet", torch_dtype=torch.float32).eval()
    torch.onnx.export(Unet(unet), (torch.randn(1, 4, 32, 32), torch.tensor(999.0), torch.randn(1, 77, 768)),
                      out + "/unet/model.onnx", input_names=["sample", "timestep", "encoder_hidden_states"],
                      output_names=["out_sample"], opset_version=17, dynamo=False,
                      dynamic_axes={"sample": spatial, "out_sample": spatial, "encoder_hidden_states": {0: "batch"}})
    vae = AutoencoderKL.from_pretrained(folder + "/vae", torch_dtype=torch.float32).eval()
    torch.onnx.export(Decoder(vae), (torch.randn(1, 4, 32, 32),), out + "/vae_decoder/model.onnx",
                      input_names=["latent_sample"], output_names=["sample"], opset_version=17, dynamo=False,
                      dynamic_axes={"latent_sample": spatial, "sample": spatial})
    clip = CLIPTextModel.from_pretrained(folder + "/text_encoder", torch_dtype=torch.float32).eval()
    torch.onnx.export(Text(clip), (torch.zeros(1, 77, dtype=torch.long),), out + "/text_encoder/model.onnx",
                      input_names=["input_ids"], output_names=["last_hidden_state"], opset_version=17, dynamo=False,
                      dynamic_axes={"input_ids": {0: "batch"}, "last_hidden_state": {0: "batch"}})
"""
# SD 1.5's own scheduler config (EulerDiscrete's fields; the app's samplers read these)
SD15_SCHEDULER = {"_class_name": "EulerAncestralDiscreteScheduler", "num_train_timesteps": 1000,
                  "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
                  "prediction_type": "epsilon", "timestep_spacing": "leading", "steps_offset": 1}
DONE = "model_index.json"  # written last: an export without it is incomplete (or of the old layout)


def export_onnx(model: Path, out: Path) -> Path:
    """The app's ONNX folder for a diffusers folder, once (about a minute and 4 GB on disk for SD 1.5)."""
    if (out / DONE).exists():
        return out
    for part in ("unet", "vae_decoder", "text_encoder", "scheduler"):
        (out / part).mkdir(parents=True, exist_ok=True)
    done = subprocess.run([sys.executable, "-c", _EXPORT_CHILD, str(model), str(out)], timeout=3600,
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"ONNX export failed: {done.stderr[-2000:]}")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from sd_tiny import write_clip_tokenizer

    write_clip_tokenizer(out / "tokenizer")
    (out / "scheduler" / "scheduler_config.json").write_text(json.dumps(SD15_SCHEDULER), encoding="utf-8")
    (out / DONE).write_text(json.dumps({"_class_name": "StableDiffusionPipeline"}), encoding="utf-8")
    return out
