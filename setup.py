"""pip install of the ROS-free library and its commands (colcon uses CMakeLists.txt)."""
from setuptools import find_packages, setup

setup(
    name="siamcar_ros",
    version="0.1.0",
    description="SiamCAR single-object tracker: library, commands and a ROS 2 lifecycle node",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=find_packages(include=["siamcar_ros", "siamcar_ros.*"]),
    package_data={"siamcar_ros": ["py.typed"], "siamcar_ros.data": ["real_clips.yaml"]},
    install_requires=[
        "torch>=2.1",
        "numpy",
        "opencv-contrib-python-headless",
        "PyYAML",
        "tqdm",
        "matplotlib",
    ],
    entry_points={
        "console_scripts": [
            "siamcar-track = siamcar_ros.deploy.track:main",
            "siamcar-eval = siamcar_ros.evaluation.cli:main",
            "siamcar-train = siamcar_ros.training.cli:main",
            "siamcar-tune = siamcar_ros.training.tune:main",
            "siamcar-export-onnx = siamcar_ros.deploy.export_onnx:main",
            "siamcar-build-engines = siamcar_ros.deploy.engine_build:main",
        ],
    },
)
